/**
 * The API's metrics: what is counted, this isolate's totals, and their aggregation across isolates
 * and locations through Redis (when configured).
 *
 * Each isolate keeps its own totals and the deltas it has not yet flushed. After a request, the
 * deltas go to one Redis hash in one pipelined call (HINCRBYFLOAT per series), off the response path
 * (`waitUntil`), at most one flush in flight and at most one per METRICS_FLUSH_INTERVAL_MS. A scrape
 * reads the hash (bounded by REDIS_TIMEOUT_MS) and adds this isolate's unflushed deltas; without
 * Redis, or when it does not answer in time, it shows this isolate's totals and says so.
 */
import { Redis } from "@upstash/redis/cloudflare";
import type { Config } from "../../env.ts";
import { withTimeout } from "../../lib/timeout.ts";
import {
  addSample,
  addToSeries,
  DURATION_BUCKETS,
  exposition,
  histogramKeys,
  type Labels,
  type MetricDefinition,
  memoSeriesKey,
  observeInto,
  type Samples,
} from "./registry.ts";

export const METRICS: readonly MetricDefinition[] = [
  {
    name: "http_requests_total",
    help: "HTTP requests by route template, method and status class.",
    type: "counter",
  },
  {
    name: "http_request_duration_seconds",
    help: "Time from request to response, by route template.",
    type: "histogram",
    buckets: DURATION_BUCKETS,
  },
  {
    name: "db_round_trips_total",
    help: "Database round trips (HTTP queries and WebSocket sessions), by route template.",
    type: "counter",
  },
  { name: "rate_limit_rejections_total", help: "Requests refused with 429, by rule.", type: "counter" },
  { name: "logins_total", help: "Login attempts by outcome.", type: "counter" },
  {
    name: "refresh_token_reuse_total",
    help: "Replayed refresh tokens detected (each revoked a session).",
    type: "counter",
  },
  { name: "queue_jobs_total", help: "Queue jobs by kind and outcome.", type: "counter" },
  {
    name: "rate_limiter_backend",
    help: "The scraping isolate's rate-limiter backend: 1 for the state it is in (redis, fallback, memory, disabled).",
    type: "gauge",
  },
];

const METRICS_BY_NAME = new Map(METRICS.map((m) => [m.name, m]));

/** Series kept per isolate before new ones are dropped (route templates bound this in practice). */
const MAX_SERIES = 5000;

/** This isolate's counters: its totals and the deltas not yet flushed to Redis. */
interface IsolateMetrics {
  totals: Samples;
  pending: Samples;
  flushing: Promise<void> | undefined;
  lastFlush: number;
}

const newState = (): IsolateMetrics => ({
  totals: new Map(),
  pending: new Map(),
  flushing: undefined,
  lastFlush: 0,
});
/**
 * One state per config object: in production that is one per isolate; tests use a second env object
 * as a second isolate. Counting before the config is known (never, in practice) goes to `fallback`.
 */
const states = new WeakMap<object, IsolateMetrics>();
const fallback = newState();
function stateFor(config: Config | undefined): IsolateMetrics {
  if (!config) return fallback;
  let state = states.get(config);
  if (!state) {
    state = newState();
    states.set(config, state);
  }
  return state;
}

/** Adds to a counter of this isolate (and to the deltas waiting for Redis). */
export function count(config: Config | undefined, name: string, labels: Labels = {}, value = 1): void {
  const state = stateFor(config);
  if (state.totals.size >= MAX_SERIES) return;
  const key = memoSeriesKey(name, labels);
  addToSeries(state.totals, key, value);
  addToSeries(state.pending, key, value);
}

/** Records one observation of a histogram in this isolate. */
export function observeHistogram(
  config: Config | undefined,
  name: string,
  labels: Labels,
  value: number,
): void {
  const definition = METRICS_BY_NAME.get(name);
  const state = stateFor(config);
  if (!definition || state.totals.size >= MAX_SERIES) return;
  const keys = histogramKeys(definition, labels);
  observeInto(state.totals, keys, value);
  observeInto(state.pending, keys, value);
}

const clients = new WeakMap<Config, Redis>();
function redisFor(config: Config): Redis | undefined {
  if (!config.UPSTASH_REDIS_REST_URL || !config.UPSTASH_REDIS_REST_TOKEN) return undefined;
  let redis = clients.get(config);
  if (!redis) {
    redis = new Redis({
      url: config.UPSTASH_REDIS_REST_URL,
      token: config.UPSTASH_REDIS_REST_TOKEN,
      retry: false,
      enableTelemetry: false,
      enableAutoPipelining: false,
    });
    clients.set(config, redis);
  }
  return redis;
}

/**
 * Sends this isolate's unflushed deltas to Redis in one pipelined call (for `waitUntil`). Skipped
 * while a flush is in flight or the last one was less than METRICS_FLUSH_INTERVAL_MS ago; on
 * failure the deltas are kept for the next flush.
 */
export function flushMetrics(config: Config): Promise<void> {
  const redis = redisFor(config);
  const state = stateFor(config);
  if (!redis || state.pending.size === 0 || state.flushing) return state.flushing ?? Promise.resolve();
  if (Date.now() - state.lastFlush < config.METRICS_FLUSH_INTERVAL_MS) return Promise.resolve();
  const batch = state.pending;
  state.pending = new Map();
  state.lastFlush = Date.now();
  const pipeline = redis.pipeline();
  for (const [key, value] of batch) pipeline.hincrbyfloat(config.METRICS_REDIS_KEY, key, value);
  state.flushing = withTimeout(pipeline.exec(), config.REDIS_TIMEOUT_MS, "metrics flush")
    .then(() => undefined)
    .catch(() => {
      for (const [key, value] of batch) state.pending.set(key, (state.pending.get(key) ?? 0) + value);
    })
    .finally(() => {
      state.flushing = undefined;
    });
  return state.flushing;
}

/**
 * The exposition for a scrape: totals across isolates from Redis plus this isolate's unflushed
 * deltas, or this isolate's totals (with a comment saying so) without Redis or when it is slow.
 */
export async function scrape(config: Config, backend: string): Promise<string> {
  const { totals, pending } = stateFor(config);
  const gauges: Samples = new Map();
  for (const state of ["redis", "fallback", "memory", "disabled"])
    addSample(gauges, "rate_limiter_backend", { state }, state === backend ? 1 : 0);
  const redis = redisFor(config);
  if (redis) {
    try {
      const stored = await withTimeout(
        redis.hgetall<Record<string, string | number>>(config.METRICS_REDIS_KEY),
        config.REDIS_TIMEOUT_MS,
        "metrics read",
      );
      const samples: Samples = new Map(gauges);
      for (const [key, value] of Object.entries(stored ?? {})) samples.set(key, Number(value));
      for (const [key, value] of pending) samples.set(key, (samples.get(key) ?? 0) + value);
      return exposition(METRICS, samples, ["counters are totals across all isolates (aggregated in Redis)"]);
    } catch {
      return exposition(METRICS, new Map([...totals, ...gauges]), [
        "Redis did not answer in time: counters are this isolate's only",
      ]);
    }
  }
  return exposition(METRICS, new Map([...totals, ...gauges]), [
    "no Redis configured: counters are this isolate's only",
  ]);
}
