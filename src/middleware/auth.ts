import type { MiddlewareHandler } from "hono";
import type { UserRole } from "../db/schema/users.ts";
import { unauthorized } from "../lib/errors.ts";
import type { AppBindings } from "../lib/types.ts";
import { SessionGate } from "../services/session-gate.ts";
import { verifyAccessToken } from "../services/tokens.ts";
import { enforceRateLimit } from "./rate-limit.ts";

export interface RequireAuthOptions {
  /** Roles admitted; omitted means any active user. Checked against the database, never the token. */
  roles?: readonly UserRole[];
  /**
   * Where the session gate is checked (see services/session-gate.ts):
   * - `"middleware"` (the default): one query here, before the handler runs;
   * - `"in-statement"`: the route's own statement is built from `c.var.gate` (no extra round trip).
   *   A statement built from the gate cannot act for a dead session, an inactive user or a wrong
   *   role, so this opt-out cannot skip the check; a gated statement that finds nothing throws
   *   `gate.denied()`, and every client error is preceded by the gate check (see app.ts onError).
   */
  session?: "middleware" | "in-statement";
}

const BEARER = /^Bearer ([A-Za-z0-9\-_=]+\.[A-Za-z0-9\-_=]+\.[A-Za-z0-9\-_=]*)$/i;

/**
 * Verifies the bearer access token (401 on any flaw) and puts the session gate on `c.var.gate`;
 * when the gate is checked here, the proven caller is `c.var.caller`.
 *
 * @example
 * createRoute({ ..., middleware: [requireAuth({ roles: ["admin"] })] })
 */
export function requireAuth(options: RequireAuthOptions = {}): MiddlewareHandler<AppBindings> {
  const roles = options.roles;
  if (roles && roles.length === 0) throw new Error("requireAuth: roles, when given, must not be empty");
  const checkInMiddleware = (options.session ?? "middleware") === "middleware";
  return async function requireAuthMiddleware(c, next) {
    const match = BEARER.exec(c.req.header("Authorization") ?? "");
    if (!match?.[1]) throw unauthorized();
    const claims = await verifyAccessToken(c.get("config"), match[1]);
    await enforceRateLimit(c, (r) => r.user, `user:${claims.userId}`);
    const gate = new SessionGate(claims, roles);
    c.set("gate", gate);
    if (checkInMiddleware) c.set("caller", await gate.check(c.get("db")));
    await next();
  };
}
