/**
 * Where a rule is counted while Redis fails: `memory` per isolate (good enough for coarse abuse
 * limits), `database` in Postgres, shared by every isolate (for the rules that guard credentials).
 */
export type RateFallback = "memory" | "database";

/** A named limit: at most `limit` requests per `windowSeconds` (sliding window) per key. */
export interface RateRule {
  name: string;
  limit: number;
  windowSeconds: number;
  fallback: RateFallback;
}

export interface RateLimitResult {
  success: boolean;
  limit: number;
  remaining: number;
  /** When the window frees up, epoch milliseconds. */
  reset: number;
}

export type RedisStatus = "healthy" | "degraded" | "disabled";

/**
 * The limiter the app talks to; Upstash and in-memory implementations share these semantics.
 *
 * @example
 * const r = await limiter.limit(rules.login, `ip:${ip}`);
 * if (!r.success) throw rateLimited(r);
 */
export interface RateLimiter {
  /** Counts one request against `key` and says whether it may pass. */
  limit(rule: RateRule, key: string): Promise<RateLimitResult>;
  /** Looks without counting. */
  peek(rule: RateRule, key: string): Promise<RateLimitResult>;
  status(): Promise<RedisStatus>;
}

/** No limiter could decide (Redis and the database fallback both failed): the request must be refused. */
export class RateLimiterUnavailableError extends Error {
  override name = "RateLimiterUnavailableError";
}
