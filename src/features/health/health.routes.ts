import { createRoute, z } from "@hono/zod-openapi";
import { COMMON_PROBLEMS, problems } from "../../lib/openapi.ts";

/** A semantic version, as package.json holds it. */
export const SEMVER = /^\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$/;

export const HealthSchema = z
  .object({
    status: z.enum(["healthy", "unhealthy"]),
    database: z.enum(["healthy", "unhealthy"]),
    redis: z.enum(["healthy", "degraded", "disabled"]).openapi({
      description: "`degraded`: Redis is configured but failing, the in-memory limiter is in use.",
    }),
    version: z.string().max(64).regex(SEMVER).openapi({ description: "The API's version (package.json)." }),
  })
  .strict()
  .openapi("Health", {
    example: { status: "healthy", database: "healthy", redis: "healthy", version: "0.1.0" },
  });

const healthRoute = (path: string, operationId: string) =>
  createRoute({
    method: "get",
    path,
    operationId,
    tags: ["Health"],
    summary: "Liveness and dependency status",
    description:
      "Checks the database with one query. 200 while it answers; 503 (same body, `status: unhealthy`) when it does not. `redis` tells whether rate limits use Redis.",
    security: [],
    responses: {
      200: { description: "Healthy.", content: { "application/json": { schema: HealthSchema } } },
      503: {
        description: "The database does not answer.",
        content: {
          "application/json": {
            schema: HealthSchema,
            example: { status: "unhealthy", database: "unhealthy", redis: "healthy", version: "0.1.0" },
          },
        },
      },
      ...problems(...COMMON_PROBLEMS),
    },
  });

export const health = healthRoute("/health", "getHealth");
export const healthV1 = healthRoute("/api/v1/health", "getHealthV1");
export type HealthRoute = typeof health;
