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

/** One rule applied to one key; `count: false` only looks (the failed-login check before hashing). */
export interface RateCheck {
  rule: RateRule;
  key: string;
  count: boolean;
}

export interface RateLimitResult {
  success: boolean;
  limit: number;
  remaining: number;
  /** When the window frees up, epoch milliseconds. */
  reset: number;
}

/** One entry per check, undefined for a check left undecided beside a refusal. */
export type CheckResults = (RateLimitResult | undefined)[];

export type RedisStatus = "healthy" | "degraded" | "disabled";

/**
 * The limiter the app talks to; the Redis, in-memory and database implementations share these
 * semantics.
 *
 * @example
 * const [ip, login] = await limiter.check([
 *   { rule: rules.ip, key: `ip:${ip}`, count: true },
 *   { rule: rules.login, key: `ip:${ip}`, count: true },
 * ]);
 */
export interface RateLimiter {
  /**
   * Decides every check of one request in one call. `results[i]` belongs to `checks[i]`; the request
   * may pass when every check has a successful result, and then the counted checks were counted.
   * When one refuses, nothing more is counted (Redis and memory count none of them; the database
   * fallback stops at the first refusal), and checks that were not decided have no result.
   */
  check(checks: readonly RateCheck[]): Promise<CheckResults>;
  /** Counts one request against `key` and says whether it may pass. */
  limit(rule: RateRule, key: string): Promise<RateLimitResult>;
  /** Looks without counting. */
  peek(rule: RateRule, key: string): Promise<RateLimitResult>;
  status(): Promise<RedisStatus>;
}

/** `limit` and `peek` in terms of `check`, for the implementations. */
export abstract class BaseRateLimiter implements RateLimiter {
  abstract check(checks: readonly RateCheck[]): Promise<CheckResults>;
  abstract status(): Promise<RedisStatus>;

  async limit(rule: RateRule, key: string): Promise<RateLimitResult> {
    return (await this.check([{ rule, key, count: true }]))[0] as RateLimitResult;
  }

  async peek(rule: RateRule, key: string): Promise<RateLimitResult> {
    return (await this.check([{ rule, key, count: false }]))[0] as RateLimitResult;
  }
}

/** No limiter could decide (Redis and the database fallback both failed): the request must be refused. */
export class RateLimiterUnavailableError extends Error {
  override name = "RateLimiterUnavailableError";
  /** What the checks before the failing one decided (their RateLimit-* headers still apply). */
  decided: CheckResults = [];
}
