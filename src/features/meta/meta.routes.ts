import { createRoute, z } from "@hono/zod-openapi";
import { COMMON_PROBLEMS, problems } from "../../lib/openapi.ts";
import { SEMVER } from "../health/health.routes.ts";

export const InfoSchema = z
  .object({
    name: z.literal("Edge Auth API"),
    version: z.string().max(64).regex(SEMVER),
    docs: z
      .object({
        swagger_ui: z.literal("/api/docs"),
        redoc: z.literal("/api/redoc"),
        openapi: z.literal("/api/openapi.json"),
      })
      .strict(),
    health: z.literal("/health"),
  })
  .strict()
  .openapi("ApiInfo", {
    example: {
      name: "Edge Auth API",
      version: "0.1.0",
      docs: { swagger_ui: "/api/docs", redoc: "/api/redoc", openapi: "/api/openapi.json" },
      health: "/health",
    },
  });

export const info = createRoute({
  method: "get",
  path: "/",
  operationId: "getApiInfo",
  tags: ["Meta"],
  summary: "API name, version and links to the docs",
  description: "Where to start: the Swagger UI, ReDoc and OpenAPI document paths, and the health check.",
  security: [],
  responses: {
    200: { description: "API information.", content: { "application/json": { schema: InfoSchema } } },
    ...problems(...COMMON_PROBLEMS),
  },
});
export type InfoRoute = typeof info;
