import type { MiddlewareHandler } from "hono";
import { ApiError } from "../../lib/errors.ts";
import type { AppBindings } from "../../lib/types.ts";

/**
 * Outside development the dev routes answer exactly like a path that does not exist (the same 404
 * problem), before any validation could reveal them.
 */
export function devOnly(): MiddlewareHandler<AppBindings> {
  return async function devOnlyMiddleware(c, next) {
    if (c.get("config").ENVIRONMENT !== "development") {
      throw new ApiError(404, "not_found", { detail: `No route for ${c.req.method} ${c.req.path}.` });
    }
    await next();
  };
}
