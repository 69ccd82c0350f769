import type { MiddlewareHandler } from "hono";
import { bodyLimit as honoBodyLimit } from "hono/body-limit";
import { payloadTooLarge } from "../lib/problem.ts";
import type { AppBindings } from "../lib/types.ts";

/**
 * Caps every request body at MAX_BODY_BYTES (one Hono limiter per configured size). What Hono does:
 * with a `Content-Length` (and no `Transfer-Encoding`) it compares the declared length, and the
 * runtime never hands the Worker more bytes than declared; without one (a chunked body) it reads
 * and counts the stream, buffering at most the limit, and answers 413 at the first byte over.
 */
export function bodyLimit(): MiddlewareHandler<AppBindings> {
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
    return limiterFor(c.get("config").MAX_BODY_BYTES)(c, next);
  };
}
