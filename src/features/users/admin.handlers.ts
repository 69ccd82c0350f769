import { clientInfo } from "../../lib/client-info.ts";
import type { AppRouteHandler } from "../../lib/types.ts";
import type {
  DeleteUserRoute,
  GetUserRoute,
  RevokeUserSessionsRoute,
  UpdateUserRoute,
} from "./admin.routes.ts";
import * as admin from "./admin.service.ts";
import { toUser } from "./users.schemas.ts";

export const getUser: AppRouteHandler<GetUserRoute> = async (c) => {
  const user = await admin.getUser(c.get("db"), c.get("gate"), c.req.valid("param").id);
  return c.json(toUser(user, c.get("config").APP_URL), 200);
};

export const updateUser: AppRouteHandler<UpdateUserRoute> = async (c) => {
  const body = c.req.valid("json");
  const user = await admin.updateUser(
    c.get("db"),
    c.get("gate"),
    c.req.valid("param").id,
    {
      role: body.role,
      isActive: body.is_active,
      fullName: body.full_name,
      emailVerified: body.email_verified,
    },
    clientInfo(c),
  );
  return c.json(toUser(user, c.get("config").APP_URL), 200);
};

export const deleteUser: AppRouteHandler<DeleteUserRoute> = async (c) => {
  await admin.deleteUser(c.get("db"), c.get("gate"), c.req.valid("param").id, clientInfo(c));
  return c.body(null, 204);
};

export const revokeUserSessions: AppRouteHandler<RevokeUserSessionsRoute> = async (c) => {
  const revoked = await admin.revokeUserSessions(
    c.get("db"),
    c.get("gate"),
    c.req.valid("param").id,
    clientInfo(c),
  );
  return c.json({ revoked }, 200);
};
