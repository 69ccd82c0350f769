import { and, eq, gt, isNull, sql } from "drizzle-orm";
import type { MiddlewareHandler } from "hono";
import { sessions } from "../db/schema/index.ts";
import { forbidden, unauthorized } from "../lib/errors.ts";
import type { AppBindings, AuthContext } from "../lib/types.ts";
import { verifyAccessToken } from "../services/tokens.ts";

export interface RequireAuthOptions {
  /**
   * Where the session's liveness (not revoked, not expired) is checked, so a revoked session's token
   * is refused at once:
   * - `"in-query"`: the route's own database statement joins the session (no extra round trip);
   * - `"middleware"`: for routes that do not read the database, one small query here.
   */
  sessionCheck: "in-query" | "middleware";
  /** Roles allowed; omitted means any authenticated user. */
  roles?: AuthContext["role"][];
}

const BEARER = /^Bearer ([A-Za-z0-9\-_=]+\.[A-Za-z0-9\-_=]+\.[A-Za-z0-9\-_=]*)$/i;

/**
 * Verifies the bearer access token and sets `c.var.auth`.
 *
 * @example
 * createRoute({ ..., middleware: [requireAuth({ sessionCheck: "in-query" })] })
 */
export function requireAuth(options: RequireAuthOptions): MiddlewareHandler<AppBindings> {
  if (!options?.sessionCheck) throw new Error("requireAuth: sessionCheck is required");
  const roles = options.roles;
  return async function requireAuthMiddleware(c, next) {
    const match = BEARER.exec(c.req.header("Authorization") ?? "");
    if (!match?.[1]) throw unauthorized();
    const auth = await verifyAccessToken(c.get("config"), match[1]);
    if (roles && !roles.includes(auth.role)) throw forbidden();
    if (options.sessionCheck === "middleware") {
      const live = await c
        .get("db")
        .select({ id: sessions.id })
        .from(sessions)
        .where(
          and(
            eq(sessions.id, auth.sessionId),
            eq(sessions.userId, auth.userId),
            isNull(sessions.revokedAt),
            gt(sessions.expiresAt, sql`now()`),
          ),
        );
      if (live.length === 0) throw unauthorized();
    }
    c.set("auth", auth);
    await next();
  };
}
