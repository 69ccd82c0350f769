import { createRoute, z } from "@hono/zod-openapi";
import { COMMON_PROBLEMS, problems } from "../../lib/openapi.ts";

export const InfoSchema = z
  .object({
    name: z.string(),
    version: z.string(),
    docs: z.object({ swagger_ui: z.string(), redoc: z.string(), openapi: z.string() }).strict(),
    health: z.string(),
  })
  .strict()
  .openapi("ApiInfo");

export const info = createRoute({
  method: "get",
  path: "/",
  operationId: "getApiInfo",
  tags: ["Meta"],
  summary: "API name, version and links to the docs",
  security: [],
  responses: {
    200: { description: "API information.", content: { "application/json": { schema: InfoSchema } } },
    ...problems(...COMMON_PROBLEMS),
  },
});
export type InfoRoute = typeof info;
