/**
 * Swagger UI at `/api/docs`, ReDoc at `/api/redoc` (`/docs`, `/redoc` redirect), served by this
 * Worker: the pages from docs.pages.ts, their files from the static assets of the assets-only Worker
 * beside it (`public/`, static/wrangler.toml, the STATIC service binding). Nothing is fetched from
 * another host, and the policy says so.
 */
import type { Context } from "hono";
import { ApiError } from "../../lib/errors.ts";
import { createRouter } from "../../lib/router.ts";
import type { AppBindings } from "../../lib/types.ts";
import {
  docsContentSecurityPolicy,
  REDOC_PATH,
  redocPage,
  SWAGGER_UI_PATH,
  swaggerUiPage,
} from "./docs.pages.ts";

/**
 * The vendor files are not content-hashed: a browser revalidates each time (a 304 by ETag) and so
 * never keeps a bundle from before an upgrade.
 */
const CACHE_CONTROL = "no-cache";

/** A page or file of the docs, with the docs' policy and caching. */
function docsResponse(res: Response, policy = docsContentSecurityPolicy()): Response {
  const headers = new Headers(res.headers);
  headers.set("Content-Security-Policy", policy);
  headers.set("Cache-Control", CACHE_CONTROL);
  return new Response(res.body, { status: res.status, statusText: res.statusText, headers });
}

/** A file from public/; an unknown one is the app's 404 problem, not the asset server's plain 404. */
async function serveAsset(c: Context<AppBindings>) {
  const res = await c.env.STATIC.fetch(c.req.raw);
  if (res.status === 404)
    throw new ApiError(404, "not_found", { detail: `No route for ${c.req.method} ${c.req.path}.` });
  return docsResponse(res);
}

function nonce(): string {
  return btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(16))));
}

export const docsRouter = createRouter()
  .get(SWAGGER_UI_PATH, (c) => docsResponse(c.html(swaggerUiPage())))
  .get(REDOC_PATH, (c) => {
    const styleNonce = nonce();
    return docsResponse(c.html(redocPage(styleNonce)), docsContentSecurityPolicy(styleNonce));
  })
  .get(`${SWAGGER_UI_PATH}/*`, serveAsset)
  .get(`${REDOC_PATH}/*`, serveAsset)
  .get("/docs", (c) => c.redirect(SWAGGER_UI_PATH, 301))
  .get("/redoc", (c) => c.redirect(REDOC_PATH, 301));
