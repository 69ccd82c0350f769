import { createRoute, z } from "@hono/zod-openapi";
import { COMMON_PROBLEMS, problems } from "../../lib/openapi.ts";

export const HealthSchema = z
  .object({
    status: z.enum(["healthy", "unhealthy"]),
    database: z.enum(["healthy", "unhealthy"]),
    redis: z.enum(["healthy", "degraded", "disabled"]).openapi({
      description: "`degraded`: Redis is configured but failing, the in-memory limiter is in use.",
    }),
    version: z.string(),
  })
  .strict()
  .openapi("Health");

const healthRoute = (path: string, operationId: string) =>
  createRoute({
    method: "get",
    path,
    operationId,
    tags: ["Health"],
    summary: "Liveness and dependency status",
    security: [],
    responses: {
      200: { description: "Healthy.", content: { "application/json": { schema: HealthSchema } } },
      503: {
        description: "The database does not answer.",
        content: { "application/json": { schema: HealthSchema } },
      },
      ...problems(...COMMON_PROBLEMS),
    },
  });

export const health = healthRoute("/health", "getHealth");
export const healthV1 = healthRoute("/api/v1/health", "getHealthV1");
export type HealthRoute = typeof health;
