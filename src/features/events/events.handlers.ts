import type { AppRouteHandler } from "../../lib/types.ts";
import type { ListAuditEventsRoute, ListMySecurityEventsRoute } from "./events.routes.ts";
import * as events from "./events.service.ts";

export const listMySecurityEvents: AppRouteHandler<ListMySecurityEventsRoute> = async (c) =>
  c.json(await events.listMySecurityEvents(c.get("db"), c.get("gate"), c.req.valid("query")), 200);

export const listAuditEvents: AppRouteHandler<ListAuditEventsRoute> = async (c) =>
  c.json(await events.listAuditEvents(c.get("db"), c.get("gate"), c.req.valid("query")), 200);
