import { clientInfo } from "../../lib/client-info.ts";
import type { AppRouteHandler } from "../../lib/types.ts";
import type { ChangeUserCreditsRoute, GetMyCreditsRoute } from "./credits.routes.ts";
import * as credits from "./credits.service.ts";

export const getMyCredits: AppRouteHandler<GetMyCreditsRoute> = async (c) => {
  const result = await credits.getMyCredits(c.get("db"), c.get("gate"), c.req.valid("query"));
  return c.json(result, 200);
};

export const changeUserCredits: AppRouteHandler<ChangeUserCreditsRoute> = async (c) => {
  const body = c.req.valid("json");
  const result = await credits.adminBookCredits(
    c.get("db"),
    c.get("gate"),
    c.req.valid("param").id,
    {
      delta: body.delta,
      note: body.reason,
    },
    clientInfo(c),
  );
  return c.json(result, 201);
};
