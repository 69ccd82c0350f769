import type { OpenAPIHono, RouteConfig, RouteHandler } from "@hono/zod-openapi";
import type { Db } from "../db/client.ts";
import type { Config } from "../env.ts";
import type { RequestLimits } from "../middleware/rate-limit.ts";
import type { RateLimitResult } from "../services/rate-limit/types.ts";
import type { Caller, SessionGate } from "../services/session-gate.ts";
import type { Logger } from "./logger.ts";

/** The claims of a verified access token (the role in it is informative only: the gate reads the database). */
export interface AuthContext {
  userId: string;
  sessionId: string;
  role: "user" | "moderator" | "admin";
  tokenId: string;
}

/** Hono context typing shared by every router: bindings plus per-request variables. */
export interface AppBindings {
  Bindings: Env & Record<string, unknown>;
  Variables: {
    requestId: string;
    config: Config;
    logger: Logger;
    db: Db;
    /** Set on protected routes: the caller, as SQL that passes only while the session is live. */
    gate: SessionGate;
    /** Set when the gate was checked in the middleware (the default): the caller as the database says. */
    caller: Caller;
    /** The most restrictive rate-limit result this request met (for the RateLimit-* headers). */
    rateLimit: RateLimitResult;
    /** This request's rate-limit checks, decided together (middleware/rate-limit.ts). */
    limits: RequestLimits;
  };
}

export type AppOpenAPI = OpenAPIHono<AppBindings>;
export type AppRouteHandler<R extends RouteConfig> = RouteHandler<R, AppBindings>;
