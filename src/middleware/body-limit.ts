import type { MiddlewareHandler } from "hono";
import { bodyLimit as honoBodyLimit } from "hono/body-limit";
import { payloadTooLarge } from "../lib/problem.ts";
import type { AppBindings } from "../lib/types.ts";

/** The one route whose body may exceed MAX_BODY_BYTES: the avatar upload (multipart). */
export const AVATAR_UPLOAD_PATH = "/api/v1/users/me/avatar";
/** Room for the multipart boundaries and part headers around the file itself. */
export const MULTIPART_OVERHEAD_BYTES = 16 * 1024;

/**
 * Caps every request body at MAX_BODY_BYTES (POST to the avatar upload: AVATAR_MAX_BYTES plus the
 * multipart overhead; the handler then holds the file itself to AVATAR_MAX_BYTES) (one Hono limiter per configured size). What Hono does:
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
    const config = c.get("config");
    const isAvatarUpload = c.req.method === "POST" && c.req.path === AVATAR_UPLOAD_PATH;
    const maxSize = isAvatarUpload
      ? config.AVATAR_MAX_BYTES + MULTIPART_OVERHEAD_BYTES
      : config.MAX_BODY_BYTES;
    return limiterFor(maxSize)(c, next);
  };
}
