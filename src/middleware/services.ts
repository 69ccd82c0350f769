import type { MiddlewareHandler } from "hono";
import { getDb } from "../db/client.ts";
import { loadConfig } from "../env.ts";
import { createLogger } from "../lib/logger.ts";
import type { AppBindings } from "../lib/types.ts";

/**
 * Validated config (fail closed: a ConfigError reaches onError), a request-scoped logger and the
 * database client. Everything here is built once per isolate and only looked up per request.
 */
export function services(): MiddlewareHandler<AppBindings> {
  return async function servicesMiddleware(c, next) {
    const config = loadConfig(c.env);
    c.set("config", config);
    c.set("logger", createLogger(config.LOG_LEVEL, { request_id: c.get("requestId") }));
    c.set("db", getDb(config));
    await next();
  };
}
