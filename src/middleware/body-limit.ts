import type { MiddlewareHandler } from "hono";
import { bodyLimit as honoBodyLimit } from "hono/body-limit";
import { payloadTooLarge } from "../lib/problem.ts";
import type { AppBindings } from "../lib/types.ts";

/**
 * Caps every request body at MAX_BODY_BYTES, or at `largerFor(path)` when that names a bigger limit
 * (uploads). Hono's limiter counts the streamed bytes, so a lying Content-Length does not help.
 */
export function bodyLimit(
  largerFor?: (path: string, config: AppBindings["Variables"]["config"]) => number | undefined,
): MiddlewareHandler<AppBindings> {
  const limiters = new Map<number, MiddlewareHandler>();
  const limiterFor = (maxSize: number) => {
    let limiter = limiters.get(maxSize);
    if (!limiter) {
      limiter = honoBodyLimit({
        maxSize,
        onError: () => {
          throw payloadTooLarge();
        },
      });
      limiters.set(maxSize, limiter);
    }
    return limiter;
  };
  return async function bodyLimitMiddleware(c, next) {
    const config = c.get("config");
    const max = largerFor?.(c.req.path, config) ?? config.MAX_BODY_BYTES;
    return limiterFor(max)(c, next);
  };
}
