import type { MiddlewareHandler } from "hono";
import { forbidden, unauthorized } from "../lib/errors.ts";
import type { AppBindings, AuthContext } from "../lib/types.ts";
import { isSessionLive } from "../services/sessions.ts";
import { verifyAccessToken } from "../services/tokens.ts";
import { enforceRateLimit } from "./rate-limit.ts";

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
    await enforceRateLimit(c, (r) => r.user, `user:${auth.userId}`);
    const checkNow = options.sessionCheck === "middleware";
    if (checkNow && !(await isSessionLive(c.get("db"), auth))) throw unauthorized();
    // For "in-query" routes the handler's statement checks it; if the request fails validation
    // before reaching the handler, the router's hook checks it first (see lib/router.ts).
    c.set("sessionChecked", checkNow);
    c.set("auth", auth);
    await next();
  };
}
