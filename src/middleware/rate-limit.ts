import type { Context, MiddlewareHandler } from "hono";
import { ApiError } from "../lib/errors.ts";
import type { AppBindings } from "../lib/types.ts";
import { count } from "../services/metrics/index.ts";
import {
  getRateLimiter,
  RateLimiterUnavailableError,
  type RateLimitResult,
  type RateRule,
  type RateRules,
  rateRules,
} from "../services/rate-limit/index.ts";
import { ipLimitKey } from "../services/rate-limit/ip-key.ts";

/** Without CF-Connecting-IP (only when running locally) every caller shares this one key. */
export const LOCAL_CLIENT_KEY = "local";

/**
 * The client's key for per-IP limits: CF-Connecting-IP only (X-Forwarded-For is never trusted),
 * IPv6 counted by its /64 (see ipLimitKey).
 */
export const clientIpKey = (c: Context) => {
  const ip = c.req.header("CF-Connecting-IP");
  return `ip:${ip === undefined ? LOCAL_CLIENT_KEY : ipLimitKey(ip)}`;
};

const secondsUntil = (epochMs: number) => Math.max(0, Math.ceil((epochMs - Date.now()) / 1000));

function limitHeaders(r: RateLimitResult): Record<string, string> {
  return {
    "RateLimit-Limit": String(r.limit),
    "RateLimit-Remaining": String(r.remaining),
    "RateLimit-Reset": String(secondsUntil(r.reset)),
  };
}

export const rateLimited = (r: RateLimitResult) =>
  new ApiError(429, "rate_limited", {
    detail: "Too many requests; try again later.",
    headers: { ...limitHeaders(r), "Retry-After": String(Math.max(1, secondsUntil(r.reset))) },
  });

/** 503 when no limiter can decide: a rule that guards credentials never lets a request through uncounted. */
export const rateLimiterUnavailable = () =>
  new ApiError(503, "rate_limiter_unavailable", {
    detail: "Rate limiting is temporarily unavailable; try again shortly.",
    headers: { "Retry-After": "5" },
  });

/** Remembers the most restrictive result of this request, for the response headers. */
function remember(c: Context<AppBindings>, r: RateLimitResult) {
  const seen = c.get("rateLimit");
  if (!seen || r.remaining < seen.remaining || (!r.success && seen.success)) c.set("rateLimit", r);
}

/**
 * Counts one request against `rule` for `key`; throws the 429 problem when over the limit, the 503
 * `rate_limiter_unavailable` when neither Redis nor the rule's fallback can decide.
 * A no-op when RATE_LIMIT_ENABLED is false.
 */
export async function enforceRateLimit(
  c: Context<AppBindings>,
  pick: (rules: RateRules) => RateRule,
  key: string,
  mode: "count" | "check" = "count",
): Promise<void> {
  const config = c.get("config");
  if (!config.RATE_LIMIT_ENABLED) return;
  const limiter = getRateLimiter(config);
  const rule = pick(rateRules(config));
  let result: RateLimitResult;
  try {
    result = mode === "count" ? await limiter.limit(rule, key) : await limiter.peek(rule, key);
  } catch (err) {
    if (err instanceof RateLimiterUnavailableError) throw rateLimiterUnavailable();
    throw err;
  }
  remember(c, result);
  if (!result.success) {
    count(config, "rate_limit_rejections_total", { rule: rule.name });
    throw rateLimited(result);
  }
}

/**
 * Global limit per client IP over the whole API, and the RateLimit-* headers on every limited
 * answer (the most restrictive limit the request met), errors included.
 */
export function rateLimit(): MiddlewareHandler<AppBindings> {
  return async function rateLimitMiddleware(c, next) {
    await enforceRateLimit(c, (r) => r.ip, clientIpKey(c));
    await next();
    const r = c.get("rateLimit");
    if (r) for (const [name, value] of Object.entries(limitHeaders(r))) c.res.headers.set(name, value);
  };
}

/** Route middleware: `rule` per client IP (login, register). Runs before validation and hashing. */
export function rateLimitByIp(pick: (rules: RateRules) => RateRule): MiddlewareHandler<AppBindings> {
  return async function rateLimitByIpMiddleware(c, next) {
    await enforceRateLimit(c, pick, clientIpKey(c));
    await next();
  };
}
