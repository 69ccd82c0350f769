/**
 * One table of limiter behaviour, run against the in-memory and database backends always and against
 * a real Redis (Upstash REST protocol, through the gateway) whenever one answers.
 */
import { describe, expect, it } from "vitest";
import { getDb } from "../../../src/db/client.ts";
import { loadConfig } from "../../../src/env.ts";
import { createLogger } from "../../../src/lib/logger.ts";
import { DatabaseRateLimiter } from "../../../src/services/rate-limit/database.ts";
import { MemoryRateLimiter } from "../../../src/services/rate-limit/memory.ts";
import type { RateLimiter, RateRule } from "../../../src/services/rate-limit/types.ts";
import { UpstashRateLimiter } from "../../../src/services/rate-limit/upstash.ts";
import { unique } from "../../helpers/factories.ts";
import { testEnv } from "../../helpers/harness.ts";
import { awayFromWindowEdge, redisAvailable, upstashEnv } from "../../helpers/redis.ts";

const backends: [string, () => RateLimiter][] = [
  ["memory", () => new MemoryRateLimiter()],
  ["database", () => new DatabaseRateLimiter(getDb(loadConfig(testEnv)))],
];
if (redisAvailable()) {
  const env = upstashEnv();
  // A fallback that fails loudly: these tests must be decided by Redis itself.
  const unusable: RateLimiter = {
    check: () => Promise.reject(new Error("fallback used")),
    limit: () => Promise.reject(new Error("fallback used")),
    peek: () => Promise.reject(new Error("fallback used")),
    status: () => Promise.reject(new Error("fallback used")),
  };
  backends.push([
    "redis",
    () =>
      new UpstashRateLimiter({
        url: env.UPSTASH_REDIS_REST_URL as string,
        token: env.UPSTASH_REDIS_REST_TOKEN as string,
        timeoutMs: 2000,
        memory: unusable,
        database: unusable,
        logger: createLogger("silent"),
      }),
  ]);
}

describe.each(backends)("limiter semantics: %s", (_name, make) => {
  const rule = (limit: number, windowSeconds = 60): RateRule => ({
    name: `t-${unique()}`,
    limit,
    windowSeconds,
    fallback: "database",
  });

  it("allows exactly `limit` requests, counting down, then refuses", async () => {
    await awayFromWindowEdge(60);
    const limiter = make();
    const r = rule(3);
    const results = [];
    for (let i = 0; i < 5; i++) results.push(await limiter.limit(r, "k"));
    expect(results.map((x) => x.success)).toEqual([true, true, true, false, false]);
    expect(results.map((x) => x.remaining)).toEqual([2, 1, 0, 0, 0]);
    for (const x of results) {
      expect(x.limit).toBe(3);
      expect(x.reset).toBeGreaterThan(Date.now());
      expect(x.reset).toBeLessThanOrEqual(Date.now() + 60_000);
    }
  });

  it("keeps keys apart", async () => {
    await awayFromWindowEdge(60);
    const limiter = make();
    const r = rule(1);
    expect((await limiter.limit(r, "a")).success).toBe(true);
    expect((await limiter.limit(r, "a")).success).toBe(false);
    expect((await limiter.limit(r, "b")).success).toBe(true);
  });

  it("peek looks without counting", async () => {
    await awayFromWindowEdge(60);
    const limiter = make();
    const r = rule(2);
    expect((await limiter.peek(r, "k")).remaining).toBe(2);
    expect((await limiter.peek(r, "k")).remaining).toBe(2);
    await limiter.limit(r, "k");
    await limiter.limit(r, "k");
    const after = await limiter.peek(r, "k");
    expect(after.remaining).toBe(0);
    expect(after.success).toBe(false);
  });

  it("lets requests through again once the window has slid past", async () => {
    await awayFromWindowEdge(1, 400);
    const limiter = make();
    const r = rule(2, 1);
    await limiter.limit(r, "k");
    await limiter.limit(r, "k");
    expect((await limiter.limit(r, "k")).success).toBe(false);
    await new Promise((resolve) => setTimeout(resolve, 2100));
    expect((await limiter.limit(r, "k")).success).toBe(true);
  });

  it("admits exactly `limit` of 30 concurrent requests", async () => {
    await awayFromWindowEdge(60);
    const limiter = make();
    const r = rule(5);
    const results = await Promise.all(Array.from({ length: 30 }, () => limiter.limit(r, "burst")));
    expect(results.filter((x) => x.success)).toHaveLength(5);
  });
});

describe("memory limiter sliding window (controlled clock)", () => {
  it("weighs the previous window by its remaining overlap, like Upstash's slidingWindow", async () => {
    let now = 1_000_000_040_000; // 20 s into a 60 s window (1_000_000_020_000 is a window start)
    const limiter = new MemoryRateLimiter(() => now);
    const r: RateRule = { name: "slide", limit: 10, windowSeconds: 60, fallback: "memory" };
    for (let i = 0; i < 10; i++) expect((await limiter.limit(r, "k")).success).toBe(true);
    expect((await limiter.limit(r, "k")).success).toBe(false);
    now += 60_000; // next window, same offset: 2/3 of the previous window still overlaps -> 6 count
    const next = await limiter.peek(r, "k");
    expect(next.remaining).toBe(4);
    now += 120_000; // two windows later nothing counts
    expect((await limiter.peek(r, "k")).remaining).toBe(10);
  });
});

describe("database limiter fixed window (controlled clock)", () => {
  it("counts in the window the clock is in, and starts afresh in the next one", async () => {
    let now = Date.UTC(2030, 0, 1, 12, 0, 20); // 20 s into a 60 s window
    const limiter = new DatabaseRateLimiter(getDb(loadConfig(testEnv)), () => now);
    const r: RateRule = { name: `fixed-${unique()}`, limit: 2, windowSeconds: 60, fallback: "database" };
    expect((await limiter.limit(r, "k")).reset).toBe(Date.UTC(2030, 0, 1, 12, 1, 0));
    expect((await limiter.limit(r, "k")).success).toBe(true);
    expect((await limiter.limit(r, "k")).success).toBe(false);
    now += 39_000; // still the same window
    expect((await limiter.peek(r, "k")).success).toBe(false);
    now += 2_000; // the next window: a fixed window forgets the previous one entirely
    const next = await limiter.peek(r, "k");
    expect(next).toMatchObject({ success: true, remaining: 2, reset: Date.UTC(2030, 0, 1, 12, 2, 0) });
  });
});

// Redis and memory decide a request's checks atomically; the database fallback stops at the first
// refusal instead (it runs only during an outage), so it is not in this table.
describe.each(backends.filter(([name]) => name !== "database"))(
  "one request's checks together: %s",
  (_n, make) => {
    const rule = (limit: number): RateRule => ({
      name: `t-${unique()}`,
      limit,
      windowSeconds: 60,
      fallback: "database",
    });

    it("counts every counted check when all pass, none when one refuses, and never a look", async () => {
      await awayFromWindowEdge(60);
      const limiter = make();
      const [wide, narrow, looked] = [rule(5), rule(1), rule(3)];
      const request = () =>
        limiter.check([
          { rule: wide, key: "k", count: true },
          { rule: narrow, key: "k", count: true },
          { rule: looked, key: "k", count: false },
        ]);
      const first = await request();
      expect(first.map((r) => r?.success)).toEqual([true, true, true]);
      expect(first.map((r) => r?.remaining)).toEqual([4, 0, 3]);
      const second = await request();
      expect(second.map((r) => r?.success)).toEqual([true, false, true]);
      expect(second.map((r) => r?.remaining)).toEqual([4, 0, 3]);
      // The refused request counted nowhere: the wide rule still has 4 left.
      expect((await limiter.peek(wide, "k")).remaining).toBe(4);
      expect((await limiter.peek(looked, "k")).remaining).toBe(3);
    });
  },
);
