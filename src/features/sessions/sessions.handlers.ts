import { clientInfo } from "../../lib/client-info.ts";
import type { AppRouteHandler } from "../../lib/types.ts";
import type { ListSessionsRoute, RevokeSessionRoute } from "./sessions.routes.ts";
import * as sessions from "./sessions.service.ts";

const iso = (v: string) => new Date(v).toISOString();

export const listSessions: AppRouteHandler<ListSessionsRoute> = async (c) => {
  const page = await sessions.listSessions(c.get("db"), c.get("gate"), c.req.valid("query"));
  return c.json(
    {
      ...page,
      items: page.items.map((d) => ({
        id: d.id,
        user_agent: d.userAgent,
        ip: d.ip,
        country: d.country,
        city: d.city,
        created_at: iso(d.createdAt),
        last_used_at: iso(d.lastUsedAt),
        current: d.current,
      })),
    },
    200,
  );
};

export const revokeSession: AppRouteHandler<RevokeSessionRoute> = async (c) => {
  await sessions.revokeSession(c.get("db"), c.get("gate"), c.req.valid("param").id, clientInfo(c));
  return c.body(null, 204);
};
