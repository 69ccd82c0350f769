import type { MiddlewareHandler } from "hono";
import type { UserRole } from "../db/schema/users.ts";
import { unauthorized } from "../lib/errors.ts";
import type { AppBindings } from "../lib/types.ts";
import { SessionGate } from "../services/session-gate.ts";
import { verifyAccessToken } from "../services/tokens.ts";
import { clientIpKey, decidesRateLimits, limitsOf, type PickRule } from "./rate-limit.ts";

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
  /**
   * The route's own rate limits, per client IP or per caller, decided with the whole-API and
   * per-user rules in the same limiter call (one Redis round trip).
   */
  rateLimits?: readonly { rule: PickRule; by: "ip" | "user" }[];
}

/** Methods that only read: their statement and the rate-limit decision run concurrently. */
const READS = new Set(["GET", "HEAD"]);

const BEARER = /^Bearer ([A-Za-z0-9\-_=]+\.[A-Za-z0-9\-_=]+\.[A-Za-z0-9\-_=]*)$/i;

/**
 * Verifies the bearer access token (401 on any flaw) and puts the session gate on `c.var.gate`;
 * when the gate is checked here, the proven caller is `c.var.caller`.
 *
 * Decides the request's rate limits (whole API, per user, the route's own) in one limiter call:
 * beside the gate query when the gate is checked here; for a read, beside the handler's statement
 * (a limited read answers 429 once both are done); for a write, before the handler runs.
 *
 * @example
 * createRoute({ ..., middleware: [requireAuth({ roles: ["admin"] })] })
 */
export function requireAuth(options: RequireAuthOptions = {}): MiddlewareHandler<AppBindings> {
  const roles = options.roles;
  if (roles && roles.length === 0) throw new Error("requireAuth: roles, when given, must not be empty");
  const checkInMiddleware = (options.session ?? "middleware") === "middleware";
  const routeLimits = options.rateLimits ?? [];
  return decidesRateLimits(async function requireAuthMiddleware(c, next) {
    const match = BEARER.exec(c.req.header("Authorization") ?? "");
    if (!match?.[1]) throw unauthorized();
    const claims = await verifyAccessToken(c.get("config"), match[1]);
    const userKey = `user:${claims.userId}`;
    const limits = limitsOf(c).add((r) => r.user, userKey);
    for (const { rule, by } of routeLimits) limits.add(rule, by === "ip" ? clientIpKey(c) : userKey);
    const gate = new SessionGate(claims, roles);
    c.set("gate", gate);
    const decision = limits.decide();
    if (checkInMiddleware) {
      const [limited, checked] = await Promise.allSettled([decision, gate.check(c.get("db"))]);
      // A limited caller gets the 429 whatever the gate says, as when the limit ran first.
      if (limited.status === "rejected") throw limited.reason;
      if (checked.status === "rejected") throw checked.reason;
      c.set("caller", checked.value);
      return next();
    }
    if (!READS.has(c.req.method)) {
      await decision;
      return next();
    }
    // Observed below, once the handler's statement is done; a 429 then replaces its answer.
    decision.catch(() => {});
    await next();
    await decision;
  });
}
