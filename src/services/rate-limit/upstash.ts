import { Ratelimit } from "@upstash/ratelimit";
import { Redis } from "@upstash/redis/cloudflare";
import type { Logger } from "../../lib/logger.ts";
import { withTimeout } from "../../lib/timeout.ts";
import type { MemoryRateLimiter } from "./memory.ts";
import type { RateLimiter, RateLimitResult, RateRule, RedisStatus } from "./types.ts";

/** Blocks identifiers that already hit a limit without asking Redis again (module scope: per isolate). */
const ephemeralCache = new Map<string, number>();
/** Warn once per isolate that the fallback is in use. */
let warned = false;
/** After a failure, skip Redis for this long instead of paying the timeout on every request. */
const RETRY_AFTER_FAILURE_MS = 5_000;

export interface UpstashLimiterOptions {
  url: string;
  token: string;
  timeoutMs: number;
  fallback: MemoryRateLimiter;
  logger: Logger;
}

/**
 * Sliding-window limits in Redis over Upstash's REST API, shared by every edge location. When Redis
 * fails or is slower than `timeoutMs`, the in-memory limiter decides instead: limits fail closed to
 * the local limiter, never open.
 */
export class UpstashRateLimiter implements RateLimiter {
  private readonly redis: Redis;
  private readonly limiters = new Map<string, Ratelimit>();
  private failedAt = 0;

  constructor(private readonly options: UpstashLimiterOptions) {
    this.redis = new Redis({
      url: options.url,
      token: options.token,
      retry: false,
      enableTelemetry: false,
      // One EVALSHA per check: nothing to batch, and auto-pipelining leaves a rejected batch promise
      // unobserved when Redis is unreachable.
      enableAutoPipelining: false,
      signal: () => AbortSignal.timeout(options.timeoutMs),
    });
  }

  private limiterFor(rule: RateRule): Ratelimit {
    let limiter = this.limiters.get(rule.name);
    if (!limiter) {
      limiter = new Ratelimit({
        redis: this.redis,
        limiter: Ratelimit.slidingWindow(rule.limit, `${rule.windowSeconds} s`),
        prefix: `rl:${rule.name}`,
        ephemeralCache,
        // 0 turns off the library's own timeout, which would let requests through (fail open).
        timeout: 0,
        analytics: false,
      });
      this.limiters.set(rule.name, limiter);
    }
    return limiter;
  }

  private bounded<T>(work: Promise<T>): Promise<T> {
    return withTimeout(work, this.options.timeoutMs, "redis");
  }

  private degraded(): boolean {
    return Date.now() - this.failedAt < RETRY_AFTER_FAILURE_MS;
  }

  private fail(err: unknown) {
    this.failedAt = Date.now();
    if (!warned) {
      warned = true;
      this.options.logger.warn("redis unavailable: rate limits use the in-memory limiter", {
        error: err instanceof Error ? err.message : String(err),
      });
    }
  }

  async limit(rule: RateRule, key: string): Promise<RateLimitResult> {
    if (this.degraded()) return this.options.fallback.limit(rule, key);
    try {
      const r = await this.bounded(this.limiterFor(rule).limit(key));
      return { success: r.success, limit: r.limit, remaining: r.remaining, reset: r.reset };
    } catch (err) {
      this.fail(err);
      return this.options.fallback.limit(rule, key);
    }
  }

  async peek(rule: RateRule, key: string): Promise<RateLimitResult> {
    if (this.degraded()) return this.options.fallback.peek(rule, key);
    try {
      const r = await this.bounded(this.limiterFor(rule).getRemaining(key));
      return { success: r.remaining > 0, limit: rule.limit, remaining: r.remaining, reset: r.reset };
    } catch (err) {
      this.fail(err);
      return this.options.fallback.peek(rule, key);
    }
  }

  async status(): Promise<RedisStatus> {
    try {
      await this.bounded(this.redis.ping());
      return this.degraded() ? "degraded" : "healthy";
    } catch (err) {
      this.fail(err);
      return "degraded";
    }
  }
}
