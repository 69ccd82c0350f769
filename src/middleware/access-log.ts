import type { MiddlewareHandler } from "hono";
import type { AppBindings } from "../lib/types.ts";

/** One structured line per request: method, path, status, duration. */
export function accessLog(): MiddlewareHandler<AppBindings> {
  return async function accessLogMiddleware(c, next) {
    const started = performance.now();
    await next();
    c.get("logger")?.info("request", {
      method: c.req.method,
      path: c.req.path,
      status: c.res.status,
      duration_ms: Math.round(performance.now() - started),
    });
  };
}
