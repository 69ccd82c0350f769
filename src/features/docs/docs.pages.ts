/**
 * The two docs pages and their Content-Security-Policy. Everything they load comes from this origin:
 * the vendor bundles are Workers static assets under `/api/docs/vendor/` and `/api/redoc/vendor/`
 * (copied from node_modules by scripts/docs-assets.ts), and each page's start-up code is a
 * same-origin file (`public/api/docs/init.js`, `public/api/redoc/init.js`), so no inline script runs.
 */
import { API_NAME, OPENAPI_PATH } from "../meta/meta.index.ts";

export const SWAGGER_UI_PATH = "/api/docs";
export const REDOC_PATH = "/api/redoc";

/**
 * This origin only. `img-src data:` is for the icons Swagger UI's stylesheet carries inline;
 * `worker-src blob:` is for ReDoc's search index, a worker it builds from its own bundle in memory.
 * ReDoc (styled-components) adds `<style>` elements: `styleNonce` allows those of this response
 * only, instead of `'unsafe-inline'`.
 */
export function docsContentSecurityPolicy(styleNonce?: string): string {
  return [
    "default-src 'self'",
    "script-src 'self'",
    `style-src 'self'${styleNonce ? ` 'nonce-${styleNonce}'` : ""}`,
    "img-src 'self' data:",
    "font-src 'self'",
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
  </head>
  <body>
    <div id="redoc" data-spec-url="${OPENAPI_PATH}"></div>
    <script src="${REDOC_PATH}/vendor/redoc.standalone.js"></script>
    <script src="${REDOC_PATH}/init.js" nonce="${nonce}"></script>
  </body>
</html>
`;
