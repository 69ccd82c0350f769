import { Ratelimit } from "@upstash/ratelimit";
import { Redis } from "@upstash/redis/cloudflare";
import type { Logger } from "../../lib/logger.ts";
import { withTimeout } from "../../lib/timeout.ts";
import type { RateLimiter, RateLimitResult, RateRule, RedisStatus } from "./types.ts";

/** Blocks identifiers that already hit a limit without asking Redis again (module scope: per isolate). */
const ephemeralCache = new Map<string, number>();
/** After a failure, skip Redis for this long instead of paying the timeout on every request. */
const RETRY_AFTER_FAILURE_MS = 5_000;

export interface UpstashLimiterOptions {
  url: string;
  token: string;
  timeoutMs: number;
  /** Decides `memory` rules while Redis fails (per isolate). */
  memory: RateLimiter;
  /** Decides `database` rules while Redis fails (shared by every isolate; throws when it fails too). */
  database: RateLimiter;
  logger: Logger;
}

/**
 * Sliding-window limits in Redis over Upstash's REST API, shared by every edge location. When Redis
 * fails or is slower than `timeoutMs`, each rule's declared fallback decides instead: limits fail
 * closed to it, never open. Every outage and every recovery is logged once, on the transition.
 */
export class UpstashRateLimiter implements RateLimiter {
  private readonly redis: Redis;
  private readonly limiters = new Map<string, Ratelimit>();
  private failedAt = 0;
  /** Whether the last Redis call failed: logs go out on the transitions only. */
  private failing = false;

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

  private fallbackFor(rule: RateRule): RateLimiter {
    return rule.fallback === "database" ? this.options.database : this.options.memory;
  }

  private fail(err: unknown, rule?: RateRule) {
    this.failedAt = Date.now();
    if (this.failing) return;
    this.failing = true;
    this.options.logger.warn("rate limiter: redis unavailable", {
      error: err instanceof Error ? err.message : String(err),
      rule: rule?.name,
      fallback: "credential rules count in the database, the others in memory per isolate",
      retry_after_ms: RETRY_AFTER_FAILURE_MS,
    });
  }

  /**
   * Redis answered a call that started at `startedAt`. Calls begun before the last failure are
   * ignored, so a slow answer still in flight when Redis broke does not announce a false recovery.
   */
  private succeed(startedAt: number) {
    if (!this.failing || startedAt < this.failedAt) return;
    this.failing = false;
    this.options.logger.info("rate limiter: redis recovered", {
      outage_ended_after_ms: Date.now() - this.failedAt,
    });
  }

  /** Asks Redis unless it failed within the backoff; otherwise, or when it fails now, the rule's fallback. */
  private async decide(
    rule: RateRule,
    viaRedis: () => Promise<RateLimitResult>,
    viaFallback: (fallback: RateLimiter) => Promise<RateLimitResult>,
  ): Promise<RateLimitResult> {
    if (!this.degraded()) {
      const startedAt = Date.now();
      try {
        const result = await this.bounded(viaRedis());
        this.succeed(startedAt);
        return result;
      } catch (err) {
        this.fail(err, rule);
      }
    }
    try {
      return await viaFallback(this.fallbackFor(rule));
    } catch (err) {
      this.options.logger.error("rate limiter: fallback failed, refusing the request", {
        rule: rule.name,
        fallback: rule.fallback,
        error: err instanceof Error ? err.message : String(err),
      });
      throw err;
    }
  }

  async limit(rule: RateRule, key: string): Promise<RateLimitResult> {
    return this.decide(
      rule,
      async () => {
        const r = await this.limiterFor(rule).limit(key);
        return { success: r.success, limit: r.limit, remaining: r.remaining, reset: r.reset };
      },
      (fallback) => fallback.limit(rule, key),
    );
  }

  async peek(rule: RateRule, key: string): Promise<RateLimitResult> {
    return this.decide(
      rule,
      async () => {
        const r = await this.limiterFor(rule).getRemaining(key);
        return { success: r.remaining > 0, limit: rule.limit, remaining: r.remaining, reset: r.reset };
      },
      (fallback) => fallback.peek(rule, key),
    );
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
