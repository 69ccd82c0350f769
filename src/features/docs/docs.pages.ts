/**
 * The two docs pages and their Content-Security-Policy. Everything they load comes from this origin:
 * the vendor bundles are static files under `/api/docs/vendor/` and `/api/redoc/vendor/`
 * (copied from node_modules by scripts/docs-assets.ts), and each page's start-up code is a
 * same-origin file (`public/api/docs/init.js`, `public/api/redoc/init.js`), so no inline script runs.
 */
import { API_NAME, OPENAPI_PATH } from "../meta/meta.index.ts";

export const SWAGGER_UI_PATH = "/api/docs";
export const REDOC_PATH = "/api/redoc";

/**
 * ReDoc's bundle adds one stylesheet of its own (perfect-scrollbar's) as a `<style>` element when it
 * loads, before it can be handed the nonce: allowed by its hash, and by the hash of the empty
 * element it starts as. Tied to the installed ReDoc: an upgrade that changes that stylesheet shows
 * up as a console error in `npm run e2e`, which prints the new hash.
 */
const REDOC_BUNDLE_STYLE_HASHES = [
  "'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='",
  "'sha256-QMIg+bpjm3JdElJ388KYke01izlUW0UoNOeKjpMxdgc='",
];

/**
 * This origin only. `img-src data:` is for the icons both bundles carry inline (data: URLs, no
 * request); `worker-src blob:` is for ReDoc's search index, a worker it builds from its own bundle in
 * memory. Each was found by `npm run e2e`, which fails on the console error its absence causes.
 * ReDoc (styled-components) adds `<style>` elements: `redocStyleNonce` allows those of this
 * response, instead of `'unsafe-inline'`.
 */
export function docsContentSecurityPolicy(redocStyleNonce?: string): string {
  const redocStyles = redocStyleNonce ? [`'nonce-${redocStyleNonce}'`, ...REDOC_BUNDLE_STYLE_HASHES] : [];
  return [
    "default-src 'self'",
    "script-src 'self'",
    ["style-src 'self'", ...redocStyles].join(" "),
    "img-src 'self' data:",
    "connect-src 'self'",
    "worker-src 'self' blob:",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join("; ");
}

export const swaggerUiPage = () => `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <title>${API_NAME} – Swagger UI</title>
    <link rel="icon" type="image/png" href="${SWAGGER_UI_PATH}/vendor/favicon-32x32.png" />
    <link rel="stylesheet" href="${SWAGGER_UI_PATH}/vendor/swagger-ui.css" />
  </head>
  <body>
    <div id="swagger-ui" data-openapi-url="${OPENAPI_PATH}"></div>
    <script src="${SWAGGER_UI_PATH}/vendor/swagger-ui-bundle.js"></script>
    <script src="${SWAGGER_UI_PATH}/init.js"></script>
  </body>
</html>
`;

/** `nonce` goes on the start-up script, which hands it to ReDoc for its `<style>` elements. */
export const redocPage = (nonce: string) => `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <title>${API_NAME} – ReDoc</title>
    <link rel="icon" type="image/png" href="${SWAGGER_UI_PATH}/vendor/favicon-32x32.png" />
    <link rel="stylesheet" href="${REDOC_PATH}/page.css" />
  </head>
  <body>
    <div id="redoc" data-spec-url="${OPENAPI_PATH}"></div>
    <script src="${REDOC_PATH}/vendor/redoc.standalone.js"></script>
    <script src="${REDOC_PATH}/init.js" nonce="${nonce}"></script>
  </body>
</html>
`;
