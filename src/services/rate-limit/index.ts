/**
 * Rate limiting: the rules (from config) and the limiter for this isolate.
 */
import type { Config } from "../../env.ts";
import { createLogger } from "../../lib/logger.ts";
import { MemoryRateLimiter } from "./memory.ts";
import type { RateLimiter, RateRule } from "./types.ts";
import { UpstashRateLimiter } from "./upstash.ts";

export type { RateLimiter, RateLimitResult, RateRule, RedisStatus } from "./types.ts";

const rulesByConfig = new WeakMap<Config, RateRules>();

/** The rules for this config, built once per isolate (they are read on every request). */
export function rateRules(config: Config): RateRules {
  let rules = rulesByConfig.get(config);
  if (!rules) {
    rules = buildRateRules(config);
    rulesByConfig.set(config, rules);
  }
  return rules;
}

/** The rules, with defaults from the source documents (see README "Rate limits"). */
function buildRateRules(config: Config) {
  return {
    /** Every request, per client IP. */
    ip: { name: "ip", limit: config.RATE_LIMIT_IP_PER_MINUTE, windowSeconds: 60 },
    /** Every authenticated request, per user. */
    user: { name: "user", limit: config.RATE_LIMIT_USER_PER_HOUR, windowSeconds: 3600 },
    /** Login attempts, per client IP. */
    login: { name: "login", limit: config.RATE_LIMIT_AUTH_PER_MINUTE, windowSeconds: 60 },
    /** Registrations, per client IP. */
    register: { name: "register", limit: config.RATE_LIMIT_AUTH_PER_MINUTE, windowSeconds: 60 },
    /** Failed logins per account (whatever the IP): slows credential stuffing, locks out for minutes at most. */
    failedLogin: {
      name: "failed-login",
      limit: config.RATE_LIMIT_FAILED_LOGINS,
      windowSeconds: config.RATE_LIMIT_FAILED_LOGINS_WINDOW_SECONDS,
    },
    /** Mail-sending requests (password reset, verification resend), per IP and per target e-mail. */
    emailByIp: { name: "email-ip", limit: config.RATE_LIMIT_EMAIL_PER_HOUR, windowSeconds: 3600 },
    emailByAddress: { name: "email-address", limit: config.RATE_LIMIT_EMAIL_PER_HOUR, windowSeconds: 3600 },
  } satisfies Record<string, RateRule>;
}

export type RateRules = ReturnType<typeof buildRateRules>;

/** One in-memory limiter per isolate: the fallback, and the limiter when Redis is not configured. */
const memory = new MemoryRateLimiter();
const limiters = new WeakMap<Config, RateLimiter>();

/**
 * The limiter for this config (Upstash when configured, else in-memory), built once per isolate.
 * It outlives any one request, so it logs without a request id.
 */
export function getRateLimiter(config: Config): RateLimiter {
  let limiter = limiters.get(config);
  if (!limiter) {
    limiter =
      config.UPSTASH_REDIS_REST_URL && config.UPSTASH_REDIS_REST_TOKEN
        ? new UpstashRateLimiter({
            url: config.UPSTASH_REDIS_REST_URL,
            token: config.UPSTASH_REDIS_REST_TOKEN,
            timeoutMs: config.REDIS_TIMEOUT_MS,
            fallback: memory,
            logger: createLogger(config.LOG_LEVEL, { component: "rate-limit" }),
          })
        : memory;
    limiters.set(config, limiter);
  }
  return limiter;
}
