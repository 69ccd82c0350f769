import type { MiddlewareHandler } from "hono";
import type { AppBindings } from "../lib/types.ts";

/** A client-sent id is kept only when it is this sane; anything else gets a fresh UUID. */
export const SANE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * Sets `c.var.requestId` and the `X-Request-Id` response header (echoing a sane client id).
 * Runs first, so even configuration failures carry the id.
 */
export function requestId(): MiddlewareHandler<AppBindings> {
  return async function requestIdMiddleware(c, next) {
    const sent = c.req.header("X-Request-Id");
    const id = sent && SANE_REQUEST_ID.test(sent) ? sent : crypto.randomUUID();
    c.set("requestId", id);
    await next();
    c.res.headers.set("X-Request-Id", id);
  };
}
