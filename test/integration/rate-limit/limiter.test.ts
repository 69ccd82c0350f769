/**
 * One table of limiter behaviour, run against the in-memory backend always and against a real Redis
 * (Upstash REST protocol, through the gateway) whenever one answers.
 */
import { describe, expect, it } from "vitest";
import { createLogger } from "../../../src/lib/logger.ts";
import { MemoryRateLimiter } from "../../../src/services/rate-limit/memory.ts";
import type { RateLimiter } from "../../../src/services/rate-limit/types.ts";
import { UpstashRateLimiter } from "../../../src/services/rate-limit/upstash.ts";
import { unique } from "../../helpers/factories.ts";
import { awayFromWindowEdge, redisAvailable, upstashEnv } from "../../helpers/redis.ts";

const backends: [string, () => RateLimiter][] = [["memory", () => new MemoryRateLimiter()]];
if (redisAvailable()) {
  const env = upstashEnv();
  backends.push([
    "redis",
    () =>
      new UpstashRateLimiter({
        url: env.UPSTASH_REDIS_REST_URL as string,
        token: env.UPSTASH_REDIS_REST_TOKEN as string,
        timeoutMs: 2000,
        // A fallback that fails loudly: these tests must be decided by Redis itself.
        fallback: {
          limit: () => Promise.reject(new Error("fallback used")),
          peek: () => Promise.reject(new Error("fallback used")),
        } as unknown as MemoryRateLimiter,
        logger: createLogger("silent"),
      }),
  ]);
}

describe.each(backends)("limiter semantics: %s", (_name, make) => {
  const rule = (limit: number, windowSeconds = 60) => ({ name: `t-${unique()}`, limit, windowSeconds });

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
    const r = { name: "slide", limit: 10, windowSeconds: 60 };
    for (let i = 0; i < 10; i++) expect((await limiter.limit(r, "k")).success).toBe(true);
    expect((await limiter.limit(r, "k")).success).toBe(false);
    now += 60_000; // next window, same offset: 2/3 of the previous window still overlaps -> 6 count
    const next = await limiter.peek(r, "k");
    expect(next.remaining).toBe(4);
    now += 120_000; // two windows later nothing counts
    expect((await limiter.peek(r, "k")).remaining).toBe(10);
  });
});
