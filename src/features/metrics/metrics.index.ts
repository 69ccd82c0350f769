import { unauthorized } from "../../lib/errors.ts";
import { createRouter } from "../../lib/router.ts";
import type { AppRouteHandler } from "../../lib/types.ts";
import { scrape } from "../../services/metrics/index.ts";
import { getRateLimiter } from "../../services/rate-limit/index.ts";
import { type GetMetricsRoute, getMetrics, PROMETHEUS_CONTENT_TYPE } from "./metrics.routes.ts";

const encoder = new TextEncoder();
const digest = async (value: string) => crypto.subtle.digest("SHA-256", encoder.encode(value));

/** Compares two secrets in constant time (hashing first gives equal lengths). */
async function sameSecret(given: string, expected: string): Promise<boolean> {
  const [a, b] = await Promise.all([digest(given), digest(expected)]);
  return crypto.subtle.timingSafeEqual(a, b);
}

const metrics: AppRouteHandler<GetMetricsRoute> = async (c) => {
  const config = c.get("config");
  if (config.METRICS_TOKEN) {
    const presented = /^Bearer (.+)$/i.exec(c.req.header("Authorization") ?? "")?.[1] ?? "";
    if (!(await sameSecret(presented, config.METRICS_TOKEN))) throw unauthorized();
  }
  const status = config.RATE_LIMIT_ENABLED ? await getRateLimiter(config).status() : "off";
  const backend =
    status === "healthy"
      ? "redis"
      : status === "degraded"
        ? "fallback"
        : status === "disabled"
          ? "memory"
          : "disabled";
  c.header("Cache-Control", "no-store");
  return c.body(await scrape(config, backend), 200, { "Content-Type": PROMETHEUS_CONTENT_TYPE });
};

export const metricsRouter = createRouter().openapi(getMetrics, metrics);
