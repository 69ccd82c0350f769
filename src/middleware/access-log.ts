import type { MiddlewareHandler } from "hono";
import { routePath } from "hono/route";
import { countingRoundTrips } from "../db/client.ts";
import type { AppBindings } from "../lib/types.ts";
import { count, flushMetrics, observeHistogram } from "../services/metrics/index.ts";

/** Route patterns already turned into templates (there are as many as the app has routes). */
const templates = new Map<string, string>();

/** `/api/v1/users/:id` → `/api/v1/users/{id}`; unmatched paths are one label, not one per URL. */
function routeTemplate(path: string, status: number): string {
  if (!path || path === "*" || path === "/*") return status === 404 || status === 405 ? "unmatched" : "*";
  let template = templates.get(path);
  if (template === undefined) {
    template = path.replace(/:([A-Za-z0-9_]+)(\{[^}]*\})?/g, "{$1}");
    templates.set(path, template);
  }
  return template;
}

/**
 * One structured line and the request metrics per request: route template, method, status,
 * duration, database round trips, the caller's user id when known and the rate-limit outcome;
 * never a token, a password or a body. Metrics leave for Redis off the response path.
 */
export function accessLog(): MiddlewareHandler<AppBindings> {
  return async function accessLogMiddleware(c, next) {
    const started = performance.now();
    const { roundTrips } = await countingRoundTrips(next);
    const seconds = (performance.now() - started) / 1000;
    const status = c.res.status;
    const route = routeTemplate(routePath(c), status);
    const method = c.req.method;
    const config = c.get("config");
    count(config, "http_requests_total", { route, method, status: `${Math.floor(status / 100)}xx` });
    observeHistogram(config, "http_request_duration_seconds", { route }, seconds);
    if (roundTrips > 0) count(config, "db_round_trips_total", { route }, roundTrips);
    const limit = c.get("rateLimit");
    const logger = c.get("logger");
    if (logger?.enabled("info"))
      logger.info("request", {
        route,
        method,
        status,
        duration_ms: Math.round(seconds * 1000),
        db_round_trips: roundTrips,
        user_id: c.get("gate")?.tokenUserId,
        rate_limit: limit ? (limit.success ? "allowed" : "limited") : "off",
      });
    if (config) {
      try {
        c.executionCtx.waitUntil(flushMetrics(config));
      } catch {
        // No execution context (app.request in unit tests): the next request flushes.
      }
    }
  };
}
