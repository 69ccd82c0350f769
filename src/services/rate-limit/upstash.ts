import { Redis } from "@upstash/redis/cloudflare";
import type { Logger } from "../../lib/logger.ts";
import { withTimeout } from "../../lib/timeout.ts";
import { SLIDING_WINDOWS_SCRIPT, scriptArguments, scriptResults } from "./redis-script.ts";
import {
  BaseRateLimiter,
  type CheckResults,
  type RateCheck,
  type RateLimiter,
  RateLimiterUnavailableError,
  type RateLimitResult,
  type RedisStatus,
} from "./types.ts";

/** After a failure, skip Redis for this long instead of paying the timeout on every request. */
const RETRY_AFTER_FAILURE_MS = 5_000;
/** Keys remembered as refused (see `blockedUntil`); past this many the oldest are forgotten. */
const MAX_BLOCKED_KEYS = 10_000;

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
 * Sliding-window limits in Redis over Upstash's REST API, shared by every edge location: every
 * check of a request in one script call (redis-script.ts), so one round trip whatever the number
 * of rules. When Redis fails or is slower than `timeoutMs`, each rule's declared fallback decides
 * instead: limits fail closed to it, never open. Every outage and every recovery is logged once, on
 * the transition.
 */
export class UpstashRateLimiter extends BaseRateLimiter {
  private readonly redis: Redis;
  private readonly script: ReturnType<Redis["createScript"]>;
  /**
   * `rule:key` → when its window ends, for keys Redis refused: until then this isolate refuses them
   * without asking (as @upstash/ratelimit's ephemeral cache does), so a client hammering past its
   * limit costs no Redis calls. A sliding window may free up a little before the window ends; this
   * only errs on the side of refusing.
   */
  private readonly blockedUntil = new Map<string, number>();
  private failedAt = 0;
  /** Whether the last Redis call failed: logs go out on the transitions only. */
  private failing = false;

  constructor(private readonly options: UpstashLimiterOptions) {
    super();
    this.redis = new Redis({
      url: options.url,
      token: options.token,
      retry: false,
      enableTelemetry: false,
      // One script call per request: nothing to batch, and auto-pipelining leaves a rejected batch
      // promise unobserved when Redis is unreachable.
      enableAutoPipelining: false,
      // Read-your-writes sync tokens order reads after writes across Upstash's read replicas; the
      // script reads and writes in one call, so there is nothing to order, and the client would
      // otherwise send and read the token header on every call.
      readYourWrites: false,
      signal: () => AbortSignal.timeout(options.timeoutMs),
    });
    // EVALSHA, and EVAL once when Redis does not know the script yet (NOSCRIPT).
    this.script = this.redis.createScript(SLIDING_WINDOWS_SCRIPT);
  }

  private bounded<T>(work: Promise<T>): Promise<T> {
    return withTimeout(work, this.options.timeoutMs, "redis");
  }

  private degraded(): boolean {
    return Date.now() - this.failedAt < RETRY_AFTER_FAILURE_MS;
  }

  private fail(err: unknown, checks?: readonly RateCheck[]) {
    this.failedAt = Date.now();
    if (this.failing) return;
    this.failing = true;
    this.options.logger.warn("rate limiter: redis unavailable", {
      error: err instanceof Error ? err.message : String(err),
      rule: checks?.map((c) => c.rule.name).join(","),
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

  /**
   * The answer this isolate already knows: a refusal remembered for one of `checks`, so Redis need
   * not be asked; undefined when Redis must decide.
   */
  private knownRefusal(checks: readonly RateCheck[], now: number): CheckResults | undefined {
    if (this.blockedUntil.size === 0) return undefined;
    for (const [i, { rule, key }] of checks.entries()) {
      const id = `${rule.name}:${key}`;
      const until = this.blockedUntil.get(id);
      if (until === undefined) continue;
      if (until <= now) {
        this.blockedUntil.delete(id);
        continue;
      }
      const results: CheckResults = new Array(checks.length).fill(undefined);
      results[i] = { success: false, limit: rule.limit, remaining: 0, reset: until };
      return results;
    }
    return undefined;
  }

  private remember(checks: readonly RateCheck[], results: CheckResults) {
    for (const [i, result] of results.entries()) {
      if (!result || result.success) continue;
      const { rule, key } = checks[i] as RateCheck;
      if (this.blockedUntil.size >= MAX_BLOCKED_KEYS) {
        const oldest = this.blockedUntil.keys().next().value;
        if (oldest !== undefined) this.blockedUntil.delete(oldest);
      }
      this.blockedUntil.set(`${rule.name}:${key}`, result.reset);
    }
  }

  async check(checks: readonly RateCheck[]): Promise<CheckResults> {
    if (checks.length === 0) return [];
    if (!this.degraded()) {
      const startedAt = Date.now();
      const known = this.knownRefusal(checks, startedAt);
      if (known) return known;
      try {
        const { keys, args } = scriptArguments(checks, startedAt);
        const used = await this.bounded(this.script.exec(keys, args) as Promise<number[]>);
        this.succeed(startedAt);
        const results = scriptResults(checks, startedAt, used);
        this.remember(checks, results);
        return results;
      } catch (err) {
        this.fail(err, checks);
      }
    }
    return this.viaFallbacks(checks);
  }

  /**
   * While Redis is out: each check by its rule's fallback, one after another, stopping at the first
   * refusal (the database fallback cannot decide several rules atomically anyway).
   */
  private async viaFallbacks(checks: readonly RateCheck[]): Promise<CheckResults> {
    const results: CheckResults = [];
    for (const check of checks) {
      const fallback = check.rule.fallback === "database" ? this.options.database : this.options.memory;
      let result: RateLimitResult;
      try {
        [result] = (await fallback.check([check])) as [RateLimitResult];
      } catch (err) {
        this.options.logger.error("rate limiter: fallback failed, refusing the request", {
          rule: check.rule.name,
          fallback: check.rule.fallback,
          error: err instanceof Error ? err.message : String(err),
        });
        if (err instanceof RateLimiterUnavailableError) err.decided = results;
        throw err;
      }
      results.push(result);
      if (!result.success) break;
    }
    return results;
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
