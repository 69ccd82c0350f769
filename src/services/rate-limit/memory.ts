import type { RateLimiter, RateLimitResult, RateRule } from "./types.ts";

interface Windows {
  window: number;
  current: number;
  previous: number;
  /** After this the entry can no longer influence any decision. */
  deadAt: number;
}

/**
 * In-memory sliding window with the same approximation as @upstash/ratelimit's `slidingWindow`:
 * the previous window's count weighs in proportionally to how much of it still overlaps.
 * State lives at module scope, so it holds for the life of the isolate.
 */
export class MemoryRateLimiter implements RateLimiter {
  private readonly store = new Map<string, Windows>();
  private checks = 0;

  constructor(private readonly now: () => number = Date.now) {}

  private evaluate(rule: RateRule, key: string, consume: boolean): RateLimitResult {
    const windowMs = rule.windowSeconds * 1000;
    const now = this.now();
    const window = Math.floor(now / windowMs);
    const id = `${rule.name}:${key}`;
    let entry = this.store.get(id);
    const deadAt = (window + 2) * windowMs;
    if (!entry || entry.window < window - 1) entry = { window, current: 0, previous: 0, deadAt };
    else if (entry.window === window - 1) entry = { window, current: 0, previous: entry.current, deadAt };
    const overlap = 1 - (now % windowMs) / windowMs;
    const weightedPrevious = Math.floor(entry.previous * overlap);
    const used = weightedPrevious + entry.current;
    const reset = (window + 1) * windowMs;
    if (used >= rule.limit) {
      this.store.set(id, entry);
      return { success: false, limit: rule.limit, remaining: 0, reset };
    }
    if (consume) entry.current += 1;
    this.store.set(id, entry);
    if (++this.checks % 1000 === 0) this.prune(now);
    return {
      success: true,
      limit: rule.limit,
      remaining: Math.max(0, rule.limit - used - (consume ? 1 : 0)),
      reset,
    };
  }

  async limit(rule: RateRule, key: string): Promise<RateLimitResult> {
    return this.evaluate(rule, key, true);
  }

  async peek(rule: RateRule, key: string): Promise<RateLimitResult> {
    return this.evaluate(rule, key, false);
  }

  async status() {
    return "disabled" as const;
  }

  /** Drops entries whose windows can no longer count, so memory stays bounded. */
  private prune(now: number) {
    for (const [id, entry] of this.store) if (entry.deadAt < now) this.store.delete(id);
  }
}
