/**
 * Rate limiting: the rules (from config) and the limiter for this isolate.
 */
import { getDb } from "../../db/client.ts";
import type { Config } from "../../env.ts";
import { createLogger } from "../../lib/logger.ts";
import { DatabaseRateLimiter } from "./database.ts";
import { MemoryRateLimiter } from "./memory.ts";
import type { RateLimiter, RateRule } from "./types.ts";
import { UpstashRateLimiter } from "./upstash.ts";

export type {
  CheckResults,
  RateCheck,
  RateFallback,
  RateLimiter,
  RateLimitResult,
  RateRule,
  RedisStatus,
} from "./types.ts";
export { RateLimiterUnavailableError } from "./types.ts";

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

/**
 * The rules, with defaults from the source documents (see README "Rate limits"). `fallback` says
 * where a rule counts while Redis is down: the rules that guard credentials or send mail must hold
 * across isolates, so they count in the database; the coarse abuse limits count per isolate.
 */
function buildRateRules(config: Config) {
  return {
    /** Every request, per client IP. */
    ip: { name: "ip", limit: config.RATE_LIMIT_IP_PER_MINUTE, windowSeconds: 60, fallback: "memory" },
    /** Every authenticated request, per user. */
    user: { name: "user", limit: config.RATE_LIMIT_USER_PER_HOUR, windowSeconds: 3600, fallback: "memory" },
    /** Login attempts, per client IP. */
    login: {
      name: "login",
      limit: config.RATE_LIMIT_AUTH_PER_MINUTE,
      windowSeconds: 60,
      fallback: "database",
    },
    /** Registrations, per client IP. */
    register: {
      name: "register",
      limit: config.RATE_LIMIT_AUTH_PER_MINUTE,
      windowSeconds: 60,
      fallback: "database",
    },
    /** Failed logins per account (whatever the IP): slows credential stuffing, locks out for minutes at most. */
    failedLogin: {
      name: "failed-login",
      limit: config.RATE_LIMIT_FAILED_LOGINS,
      windowSeconds: config.RATE_LIMIT_FAILED_LOGINS_WINDOW_SECONDS,
      fallback: "database",
    },
    /** Mail-sending requests (password reset, verification resend), per IP and per target e-mail. */
    emailByIp: {
      name: "email-ip",
      limit: config.RATE_LIMIT_EMAIL_PER_HOUR,
      windowSeconds: 3600,
      fallback: "database",
    },
    emailByAddress: {
      name: "email-address",
      limit: config.RATE_LIMIT_EMAIL_PER_HOUR,
      windowSeconds: 3600,
      fallback: "database",
    },
  } satisfies Record<string, RateRule>;
}

export type RateRules = ReturnType<typeof buildRateRules>;

const limiters = new WeakMap<Config, RateLimiter>();

/**
 * The limiter for this config, built once per config (i.e. per isolate): Upstash when configured,
 * falling back per rule to the isolate's in-memory limiter or to the database; without Upstash
 * (local development) the in-memory limiter alone. It outlives any one request, so it logs without
 * a request id.
 */
export function getRateLimiter(config: Config): RateLimiter {
  let limiter = limiters.get(config);
  if (!limiter) {
    const memory = new MemoryRateLimiter();
    limiter =
      config.UPSTASH_REDIS_REST_URL && config.UPSTASH_REDIS_REST_TOKEN
        ? new UpstashRateLimiter({
            url: config.UPSTASH_REDIS_REST_URL,
            token: config.UPSTASH_REDIS_REST_TOKEN,
            timeoutMs: config.REDIS_TIMEOUT_MS,
            memory,
            // getDb only builds a client; no query runs until Redis fails.
            database: new DatabaseRateLimiter(getDb(config)),
            logger: createLogger(config.LOG_LEVEL, { component: "rate-limit" }),
          })
        : memory;
    limiters.set(config, limiter);
  }
  return limiter;
}
