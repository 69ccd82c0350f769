import { createRoute, z } from "@hono/zod-openapi";
import { COMMON_PROBLEMS, problems } from "../../lib/openapi.ts";

export const PROMETHEUS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

export const getMetrics = createRoute({
  method: "get",
  path: "/metrics",
  operationId: "getMetrics",
  tags: ["Meta"],
  summary: "Prometheus metrics",
  description:
    "Prometheus text exposition format 0.0.4. When `METRICS_TOKEN` is set, send it as a bearer token (compared in constant time); otherwise the route is open. With Redis configured, counters are totals across all isolates and locations; without it, this isolate's only (a comment in the output says which).",
  security: [{ metricsToken: [] }, {}],
  responses: {
    200: {
      description: "The metrics.",
      content: { "text/plain": { schema: z.string().openapi({ example: "http_requests_total{...} 1" }) } },
    },
    ...problems("Unauthorized", ...COMMON_PROBLEMS),
  },
});
export type GetMetricsRoute = typeof getMetrics;
