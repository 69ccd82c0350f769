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

/** `/`. The OpenAPI document is served by app.ts, the docs pages by features/docs. */
export const metaRouter = createRouter().openapi(info, getInfo);
