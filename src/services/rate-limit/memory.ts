import { BaseRateLimiter, type CheckResults, type RateCheck } from "./types.ts";

interface Windows {
  window: number;
  current: number;
  previous: number;
  /** After this the entry can no longer influence any decision. */
  deadAt: number;
}

/**
 * In-memory sliding window with the same approximation as the Redis script (see redis-script.ts):
 * the previous window's count weighs in proportionally to how much of it still overlaps. State
 * lives at module scope, so it holds for the life of the isolate. One request's checks are decided
 * together: all pass and the counted ones count, or none counts.
 */
export class MemoryRateLimiter extends BaseRateLimiter {
  private readonly store = new Map<string, Windows>();
  private checks = 0;

  constructor(private readonly now: () => number = Date.now) {
    super();
  }

  /** The entry for `id` rolled forward to the window `now` is in. */
  private entry(id: string, windowMs: number, now: number): Windows {
    const window = Math.floor(now / windowMs);
    const entry = this.store.get(id);
    const deadAt = (window + 2) * windowMs;
    if (!entry || entry.window < window - 1) return { window, current: 0, previous: 0, deadAt };
    if (entry.window === window - 1) return { window, current: 0, previous: entry.current, deadAt };
    return entry;
  }

  async check(checks: readonly RateCheck[]): Promise<CheckResults> {
    const now = this.now();
    const evaluated = checks.map(({ rule, key }) => {
      const windowMs = rule.windowSeconds * 1000;
      const id = `${rule.name}:${key}`;
      const entry = this.entry(id, windowMs, now);
      this.store.set(id, entry);
      const overlap = 1 - (now % windowMs) / windowMs;
      const used = Math.floor(entry.previous * overlap) + entry.current;
      return { entry, used, reset: (entry.window + 1) * windowMs };
    });
    const passes = evaluated.every(({ used }, i) => used < (checks[i] as RateCheck).rule.limit);
    if (++this.checks % 1000 === 0) this.prune(now);
    return evaluated.map(({ entry, used, reset }, i) => {
      const { rule, count } = checks[i] as RateCheck;
      const counted = passes && count;
      if (counted) entry.current += 1;
      return {
        success: used < rule.limit,
        limit: rule.limit,
        remaining: Math.max(0, rule.limit - used - (counted ? 1 : 0)),
        reset,
      };
    });
  }

  async status() {
    return "disabled" as const;
  }

  /** Drops entries whose windows can no longer count, so memory stays bounded. */
  private prune(now: number) {
    for (const [id, entry] of this.store) if (entry.deadAt < now) this.store.delete(id);
  }
}
