/**
 * The sliding-window check of every rule of one request in one Redis script: one EVALSHA, one round
 * trip, atomic. The algorithm is the one `@upstash/ratelimit`'s `slidingWindow` uses, with its key
 * layout (`rl:<rule>:<key>:<window number>`): a counter per fixed window, and a request's usage is
 * the current window's count plus the previous window's count weighted by how much of the previous
 * window the sliding window still covers. Unlike one script per rule, the decision is all or
 * nothing: when any rule refuses, no rule counts the request.
 */
import type { RateCheck, RateLimitResult } from "./types.ts";

/**
 * KEYS: per check, its current and previous window's counter. ARGV: now (ms), then per check its
 * limit, window (ms) and 1 to count or 0 to look. Returns the usage each check found (before this
 * request). A counter lives two windows and a second, long enough to weigh in as "previous".
 */
export const SLIDING_WINDOWS_SCRIPT = `
local now = tonumber(ARGV[1])
local used = {}
local passes = true
for i = 1, #KEYS / 2 do
  local limit = tonumber(ARGV[i * 3 - 1])
  local window = tonumber(ARGV[i * 3])
  local current = tonumber(redis.call("GET", KEYS[i * 2 - 1]) or "0")
  local previous = tonumber(redis.call("GET", KEYS[i * 2]) or "0")
  used[i] = math.floor(previous * (1 - (now % window) / window)) + current
  if used[i] >= limit then passes = false end
end
if passes then
  for i = 1, #KEYS / 2 do
    if ARGV[i * 3 + 1] == "1" and redis.call("INCR", KEYS[i * 2 - 1]) == 1 then
      redis.call("PEXPIRE", KEYS[i * 2 - 1], tonumber(ARGV[i * 3]) * 2 + 1000)
    end
  end
end
return used
`;

/** The counter of `check` for window number `window`. */
const counterKey = ({ rule, key }: RateCheck, window: number) => `rl:${rule.name}:${key}:${window}`;

/** The script's KEYS and ARGV for `checks` at `now`. */
export function scriptArguments(
  checks: readonly RateCheck[],
  now: number,
): { keys: string[]; args: string[] } {
  const keys: string[] = [];
  const args: string[] = [String(now)];
  for (const check of checks) {
    const windowMs = check.rule.windowSeconds * 1000;
    const window = Math.floor(now / windowMs);
    keys.push(counterKey(check, window), counterKey(check, window - 1));
    args.push(String(check.rule.limit), String(windowMs), check.count ? "1" : "0");
  }
  return { keys, args };
}

/** The results for `checks` from the usage the script found at `now`. */
export function scriptResults(checks: readonly RateCheck[], now: number, used: number[]): RateLimitResult[] {
  const passes = checks.every((check, i) => (used[i] ?? 0) < check.rule.limit);
  return checks.map(({ rule, count }, i) => {
    const u = used[i] ?? 0;
    const windowMs = rule.windowSeconds * 1000;
    return {
      success: u < rule.limit,
      limit: rule.limit,
      remaining: Math.max(0, rule.limit - u - (passes && count ? 1 : 0)),
      reset: (Math.floor(now / windowMs) + 1) * windowMs,
    };
  });
}
