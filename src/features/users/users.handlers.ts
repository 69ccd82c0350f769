import { clientInfo } from "../../lib/client-info.ts";
import type { AppRouteHandler } from "../../lib/types.ts";
import { enqueueEmail } from "../../services/outbox.ts";
import type { DeleteMeRoute, GetMeRoute, ListUsersRoute, UpdateMeRoute } from "./users.routes.ts";
import { toUser } from "./users.schemas.ts";
import * as users from "./users.service.ts";

export const getMe: AppRouteHandler<GetMeRoute> = async (c) => {
  const user = await users.getMe(c.get("db"), c.get("gate"));
  return c.json(toUser(user, c.get("config").APP_URL), 200);
};

export const updateMe: AppRouteHandler<UpdateMeRoute> = async (c) => {
  const body = c.req.valid("json");
  const { user, emailId } = await users.updateMe(
    c.get("db"),
    c.get("gate"),
    {
      fullName: body.full_name,
      username: body.username,
      email: body.email,
      currentPassword: body.current_password,
    },
    clientInfo(c),
    c.get("config").APP_URL,
  );
  if (emailId) c.executionCtx.waitUntil(enqueueEmail(c.env.JOBS_QUEUE, emailId, c.get("logger")));
  return c.json(toUser(user, c.get("config").APP_URL), 200);
};

export const deleteMe: AppRouteHandler<DeleteMeRoute> = async (c) => {
  await users.deleteMe(c.get("db"), c.get("gate"), c.req.valid("json").password);
  return c.body(null, 204);
};

export const listUsers: AppRouteHandler<ListUsersRoute> = async (c) => {
  const query = c.req.valid("query");
  const page = await users.listUsers(c.get("db"), c.get("gate"), query);
  const appUrl = c.get("config").APP_URL;
  return c.json({ ...page, items: page.items.map((u) => toUser(u, appUrl)) }, 200);
};
