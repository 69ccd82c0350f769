import { swaggerUI } from "@hono/swagger-ui";
import { version } from "../../../package.json";
import { createRouter } from "../../lib/router.ts";
import type { AppRouteHandler } from "../../lib/types.ts";
import { type InfoRoute, info } from "./meta.routes.ts";

export const OPENAPI_PATH = "/api/openapi.json";
export const API_NAME = "Edge Auth API";

const getInfo: AppRouteHandler<InfoRoute> = (c) =>
  c.json(
    {
      name: API_NAME,
      version,
      docs: { swagger_ui: "/api/docs", redoc: "/api/redoc", openapi: OPENAPI_PATH },
      health: "/health",
    },
    200,
  );

const redocPage = `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <title>${API_NAME} – ReDoc</title>
  </head>
  <body>
    <redoc spec-url="${OPENAPI_PATH}"></redoc>
    <script src="https://cdn.redoc.ly/redoc/v2.5.1/bundles/redoc.standalone.js"></script>
  </body>
</html>`;

/** `/`, Swagger UI, ReDoc and the short redirects. The OpenAPI document itself is served by app.ts. */
export const metaRouter = createRouter()
  .openapi(info, getInfo)
  .get(
    "/api/docs",
    swaggerUI({ url: OPENAPI_PATH, title: `${API_NAME} – Swagger UI`, persistAuthorization: true }),
  )
  .get("/api/redoc", (c) => c.html(redocPage))
  .get("/docs", (c) => c.redirect("/api/docs", 301))
  .get("/redoc", (c) => c.redirect("/api/redoc", 301));
