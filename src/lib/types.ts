import type { OpenAPIHono, RouteConfig, RouteHandler } from "@hono/zod-openapi";
import type { Db } from "../db/client.ts";
import type { Config } from "../env.ts";
import type { RateLimitResult } from "../services/rate-limit/types.ts";
import type { Logger } from "./logger.ts";

/** What the auth middleware puts on the context for a verified access token. */
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
    auth: AuthContext;
    /** Whether the auth middleware already checked the session (else the route's query does). */
    sessionChecked: boolean;
    /** The most restrictive rate-limit result this request met (for the RateLimit-* headers). */
    rateLimit: RateLimitResult;
  };
}

export type AppOpenAPI = OpenAPIHono<AppBindings>;
export type AppRouteHandler<R extends RouteConfig> = RouteHandler<R, AppBindings>;
