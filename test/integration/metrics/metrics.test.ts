import parsePrometheusTextFormat from "parse-prometheus-text-format";
import { describe, expect, it } from "vitest";
import { createSignedInUser, loginAs } from "../../helpers/factories.ts";
import { api, envWith, type TestEnv } from "../../helpers/harness.ts";
import { redisAvailable, upstashEnv } from "../../helpers/redis.ts";

interface Family {
  name: string;
  type: string;
  metrics: {
    labels?: Record<string, string>;
    value?: string;
    buckets?: Record<string, string>;
    count?: string;
  }[];
}

async function scrape(env: TestEnv, token?: string) {
  const res = await api("GET", "/metrics", { env, token });
  expect(res.status, res.dump).toBe(200);
  expect(res.headers.get("Content-Type")).toMatch(/^text\/plain; version=0\.0\.4/);
  return { text: res.text, families: parsePrometheusTextFormat(res.text) as Family[] };
}

/** The value of one counter series (0 when absent). */
function value(families: Family[], name: string, labels: Record<string, string>): number {
  const family = families.find((f) => f.name === name);
  const series = family?.metrics.find((m) => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v));
  return Number(series?.value ?? 0);
}

/**
 * A labelled histogram's `_count` for `route`, read from the text: the parser (which checks every
 * line) merges labelled histogram series into one, so their values are read line by line.
 */
function histogramCount(text: string, name: string, route: string): number {
  const line = text.split("\n").find((l) => l.startsWith(`${name}_count{route="${route}"}`));
  return Number(line?.split(" ")[1] ?? 0);
}

const JWKS = "/api/v1/auth/jwks.json";

describe("GET /metrics", () => {
  it("is Prometheus text a real parser reads, and says counters are per isolate without Redis", async () => {
    const env = envWith({});
    const { text, families } = await scrape(env);
    expect(text).toContain("# no Redis configured: counters are this isolate's only");
    for (const name of [
      "http_requests_total",
      "http_request_duration_seconds",
      "db_round_trips_total",
      "rate_limit_rejections_total",
      "logins_total",
      "refresh_token_reuse_total",
      "queue_jobs_total",
      "rate_limiter_backend",
    ]) {
      expect(
        families.map((f) => f.name),
        name,
      ).toContain(name);
    }
    expect(families.find((f) => f.name === "http_request_duration_seconds")?.type).toBe("HISTOGRAM");
  });

  it("counters move by exactly the requests made, by route template, method and status class", async () => {
    const env = envWith({});
    const { families: before, text: beforeText } = await scrape(env);
    for (let i = 0; i < 3; i++) expect((await api("GET", JWKS, { env })).status).toBe(200);
    await api("GET", "/api/v1/users/me", { env });
    const user = await createSignedInUser();
    await api("GET", "/api/v1/users/me", { env, token: user.tokens.access_token });
    const { families: after, text: afterText } = await scrape(env);
    const diff = (name: string, labels: Record<string, string>) =>
      value(after, name, labels) - value(before, name, labels);
    expect(diff("http_requests_total", { route: JWKS, method: "GET", status: "2xx" })).toBe(3);
    expect(
      histogramCount(afterText, "http_request_duration_seconds", JWKS) -
        histogramCount(beforeText, "http_request_duration_seconds", JWKS),
    ).toBe(3);
    expect(diff("http_requests_total", { route: "/api/v1/users/me", method: "GET", status: "4xx" })).toBe(1);
    expect(diff("http_requests_total", { route: "/api/v1/users/me", method: "GET", status: "2xx" })).toBe(1);
    // GET /users/me is one round trip, so its counter moved by exactly one.
    expect(diff("db_round_trips_total", { route: "/api/v1/users/me" })).toBe(1);
    expect(diff("http_requests_total", { route: "/metrics", method: "GET", status: "2xx" })).toBe(1);
  });

  it("counts logins by outcome, refresh-token reuse and rate-limit rejections by rule", async () => {
    const env = envWith({ REFRESH_REUSE_GRACE_SECONDS: "0" });
    const before = (await scrape(env)).families;
    const user = await createSignedInUser();
    const pair = await loginAs(user, { env });
    await api("POST", "/api/v1/auth/login", {
      env,
      json: { username: user.username, password: "wrong-password-1" },
    });
    const rotated = await api("POST", "/api/v1/auth/refresh", {
      env,
      json: { refresh_token: pair.refresh_token },
    });
    expect(rotated.status).toBe(200);
    await new Promise((r) => setTimeout(r, 1100));
    expect(
      (await api("POST", "/api/v1/auth/refresh", { env, json: { refresh_token: pair.refresh_token } }))
        .status,
    ).toBe(401);
    const after = (await scrape(env)).families;
    const diff = (name: string, labels: Record<string, string> = {}) =>
      value(after, name, labels) - value(before, name, labels);
    expect(diff("logins_total", { outcome: "success" })).toBe(1);
    expect(diff("logins_total", { outcome: "failure" })).toBe(1);
    expect(diff("refresh_token_reuse_total")).toBe(1);

    const limited = envWith({ RATE_LIMIT_ENABLED: "true", RATE_LIMIT_IP_PER_MINUTE: "2" });
    const headers = { "CF-Connecting-IP": "203.0.113.7" };
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await api("GET", JWKS, { env: limited, headers })).status);
    expect(statuses).toEqual([200, 200, 429]);
    // A fresh env is a fresh isolate: its counter holds exactly this one rejection.
    const scraped = await api("GET", "/metrics", {
      env: limited,
      headers: { "CF-Connecting-IP": "203.0.113.250" },
    });
    expect(scraped.status, scraped.dump).toBe(200);
    const limitedFamilies = parsePrometheusTextFormat(scraped.text) as Family[];
    expect(value(limitedFamilies, "rate_limit_rejections_total", { rule: "ip" })).toBe(1);
    expect(value(limitedFamilies, "rate_limiter_backend", { state: "memory" })).toBe(1);
  });

  it("with METRICS_TOKEN set: 401 without it or with a wrong one, 200 with it", async () => {
    const env = envWith({ METRICS_TOKEN: "scrape-secret-123" });
    for (const token of [undefined, "scrape-secret-12", "scrape-secret-1234"]) {
      const res = await api("GET", "/metrics", { env, token });
      expect(res.status, res.dump).toBe(401);
      expect(res.body.code).toBe("unauthorized");
    }
    await scrape(env, "scrape-secret-123");
  });
});

describe.runIf(redisAvailable())("GET /metrics with Redis: totals across isolates", () => {
  it("a scrape served by a second isolate sees what the first counted", async () => {
    const key = `metrics:test:${crypto.randomUUID()}`;
    const isolateA = upstashEnv({
      METRICS_REDIS_KEY: key,
      METRICS_FLUSH_INTERVAL_MS: "0",
      RATE_LIMIT_ENABLED: "false",
    });
    const isolateB = upstashEnv({
      METRICS_REDIS_KEY: key,
      METRICS_FLUSH_INTERVAL_MS: "0",
      RATE_LIMIT_ENABLED: "false",
    });
    for (let i = 0; i < 4; i++) expect((await api("GET", JWKS, { env: isolateA })).status).toBe(200);
    const { text, families } = await scrape(isolateB);
    expect(text).toContain("# counters are totals across all isolates (aggregated in Redis)");
    expect(value(families, "http_requests_total", { route: JWKS, method: "GET", status: "2xx" })).toBe(4);
    expect(histogramCount(text, "http_request_duration_seconds", JWKS)).toBe(4);
    // And the first isolate's scrape agrees (its own scrape of B was flushed too by now).
    const fromA = (await scrape(isolateA)).families;
    expect(value(fromA, "http_requests_total", { route: JWKS, method: "GET", status: "2xx" })).toBe(4);
    expect(value(fromA, "http_requests_total", { route: "/metrics", method: "GET", status: "2xx" })).toBe(1);
  });
});

describe("queue job metrics", () => {
  it("counts jobs by kind and outcome", async () => {
    const { createExecutionContext, createMessageBatch, getQueueResult } = await import("cloudflare:test");
    const { default: worker } = await import("../../../src/index.ts");
    const { jobHandlers } = await import("../../../src/queues/consumer.ts");
    const env = envWith({});
    jobHandlers.set("metrics-ok", async () => {});
    jobHandlers.set("metrics-fail", async () => {
      throw new Error("boom");
    });
    try {
      const batch = createMessageBatch("edge-auth-api-jobs", [
        { id: "m1", timestamp: new Date(), attempts: 1, body: { kind: "metrics-ok", id: "1" } },
        { id: "m2", timestamp: new Date(), attempts: 1, body: { kind: "metrics-ok", id: "2" } },
        { id: "m3", timestamp: new Date(), attempts: 1, body: { kind: "metrics-fail", id: "3" } },
        { id: "m4", timestamp: new Date(), attempts: 1, body: { nonsense: true } },
      ]);
      const ctx = createExecutionContext();
      await worker.queue(batch, env, ctx);
      await getQueueResult(batch, ctx);
    } finally {
      jobHandlers.delete("metrics-ok");
      jobHandlers.delete("metrics-fail");
    }
    const { families } = await scrape(env);
    expect(value(families, "queue_jobs_total", { kind: "metrics-ok", outcome: "done" })).toBe(2);
    expect(value(families, "queue_jobs_total", { kind: "metrics-fail", outcome: "retried" })).toBe(1);
    expect(value(families, "queue_jobs_total", { kind: "unknown", outcome: "dropped" })).toBe(1);
  });
});
