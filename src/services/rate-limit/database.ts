import { sql } from "drizzle-orm";
import type { Db } from "../../db/client.ts";
import {
  BaseRateLimiter,
  type CheckResults,
  type RateCheck,
  RateLimiterUnavailableError,
  type RateLimitResult,
  type RateRule,
} from "./types.ts";

/**
 * Fixed windows in Postgres (`rate_limit_counters`), shared by every isolate: what the credential
 * rules count with while Redis is down. One statement per check. A fixed window (not Upstash's
 * weighted pair) keeps that statement a plain upsert; the price is that a burst straddling a window
 * edge may pass up to twice the limit, acceptable for a fallback that only runs during an outage.
 * Refused requests are counted too (the upsert cannot know the limit before it counts); that only
 * pushes `count` past `limit` in a window that is refused anyway. A request's checks run one after
 * another and stop at the first refusal.
 */
export class DatabaseRateLimiter extends BaseRateLimiter {
  constructor(
    private readonly db: Db,
    private readonly now: () => number = Date.now,
  ) {
    super();
  }

  async check(checks: readonly RateCheck[]): Promise<CheckResults> {
    const results: CheckResults = [];
    for (const { rule, key, count } of checks) {
      const result = count ? await this.count(rule, key) : await this.look(rule, key);
      results.push(result);
      if (!result.success) break;
    }
    return results;
  }

  private window(rule: RateRule) {
    const windowMs = rule.windowSeconds * 1000;
    const start = Math.floor(this.now() / windowMs) * windowMs;
    return { start: new Date(start).toISOString(), reset: start + windowMs };
  }

  private result(rule: RateRule, used: number, reset: number, counted: boolean): RateLimitResult {
    return {
      success: counted ? used <= rule.limit : used < rule.limit,
      limit: rule.limit,
      remaining: Math.max(0, rule.limit - used),
      reset,
    };
  }

  private async query(statement: ReturnType<typeof sql>): Promise<number> {
    try {
      const { rows } = await this.db.execute<{ count: number }>(statement);
      return Number(rows[0]?.count ?? 0);
    } catch (err) {
      throw new RateLimiterUnavailableError("the database rate limiter failed", { cause: err });
    }
  }

  private async count(rule: RateRule, key: string): Promise<RateLimitResult> {
    const { start, reset } = this.window(rule);
    const used = await this.query(sql`
      insert into rate_limit_counters (key, window_start, count)
      values (${`${rule.name}:${key}`}, ${start}::timestamptz, 1)
      on conflict (key, window_start) do update set count = rate_limit_counters.count + 1
      returning count`);
    return this.result(rule, used, reset, true);
  }

  private async look(rule: RateRule, key: string): Promise<RateLimitResult> {
    const { start, reset } = this.window(rule);
    const used = await this.query(sql`
      select count from rate_limit_counters
      where key = ${`${rule.name}:${key}`} and window_start = ${start}::timestamptz`);
    return this.result(rule, used, reset, false);
  }

  async status() {
    return "disabled" as const;
  }
}
