/**
 * Rate limits per request: every check a request meets (the whole-API rule per IP, the route's own
 * rules, the caller's per-user rule, the failed-login check) is collected on `c.var.limits` and
 * decided in one limiter call, so one Redis round trip whatever the number of rules.
 *
 * Who decides: the global `rateLimit()` middleware decides at once, unless the matched route has a
 * middleware that adds checks of its own (`rateLimitByIp`, `requireAuth`): then that middleware, or
 * the handler it names, decides, always before anything is written. Reads behind `requireAuth`
 * decide concurrently with their database statement and answer 429 afterwards when limited. A
 * route that fails before its decision (a bad token, a 422 body) is still decided after it, so
 * every request counts and a limited client always sees the 429.
 */
import type { Context, MiddlewareHandler } from "hono";
import { matchedRoutes } from "hono/route";
import { ApiError } from "../lib/errors.ts";
import type { AppBindings } from "../lib/types.ts";
import { count } from "../services/metrics/index.ts";
import {
  type CheckResults,
  getRateLimiter,
  type RateCheck,
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

/**
 * 503 when no limiter can decide: a rule that guards credentials never lets a request through
 * uncounted. Carries the RateLimit-* headers of what the other rules decided, if any.
 */
export const rateLimiterUnavailable = (decided?: RateLimitResult) =>
  new ApiError(503, "rate_limiter_unavailable", {
    detail: "Rate limiting is temporarily unavailable; try again shortly.",
    headers: { ...(decided ? limitHeaders(decided) : {}), "Retry-After": "5" },
  });

/** Picks a rule from the configured ones (they are built once per isolate). */
export type PickRule = (rules: RateRules) => RateRule;

/**
 * The rate-limit checks of one request, decided together in one limiter call. Inert when
 * RATE_LIMIT_ENABLED is false.
 *
 * @example
 * limitsOf(c).add((r) => r.failedLogin, `account:${id}`, "check");
 * await limitsOf(c).decide(); // throws the 429 (or 503) problem
 */
export class RequestLimits {
  readonly #c: Context<AppBindings>;
  readonly #enabled: boolean;
  readonly #checks: RateCheck[] = [];
  #decision: Promise<void> | undefined;

  constructor(c: Context<AppBindings>) {
    this.#c = c;
    this.#enabled = c.get("config").RATE_LIMIT_ENABLED;
  }

  /** Adds a check for `key`: `count` counts this request, `check` only looks. */
  add(pick: PickRule, key: string, mode: "count" | "check" = "count"): this {
    if (!this.#enabled) return this;
    // One decision per request is the point: a check added later would need a second round trip.
    if (this.#decision) throw new Error("rate limits: a check was added after they were decided");
    this.#checks.push({ rule: pick(rateRules(this.#c.get("config"))), key, count: mode === "count" });
    return this;
  }

  /** Checks were added and nobody has decided them yet. */
  get undecided(): boolean {
    return this.#decision === undefined && this.#checks.length > 0;
  }

  /**
   * Sends every check added so far (once; later calls return the same promise). Resolves when the
   * request may pass; rejects with the 429 problem, or the 503 when no limiter can decide.
   */
  decide(): Promise<void> {
    this.#decision ??= this.#checks.length === 0 ? Promise.resolve() : this.#run();
    return this.#decision;
  }

  async #run(): Promise<void> {
    const config = this.#c.get("config");
    let results: CheckResults;
    try {
      results = await getRateLimiter(config).check(this.#checks);
    } catch (err) {
      if (!(err instanceof RateLimiterUnavailableError)) throw err;
      for (const result of err.decided) if (result) remember(this.#c, result);
      throw rateLimiterUnavailable(this.#c.get("rateLimit"));
    }
    let refused: { rule: RateRule; result: RateLimitResult } | undefined;
    for (const [i, result] of results.entries()) {
      if (!result) continue;
      remember(this.#c, result);
      if (!result.success && !refused) refused = { rule: (this.#checks[i] as RateCheck).rule, result };
    }
    if (refused) {
      count(config, "rate_limit_rejections_total", { rule: refused.rule.name });
      throw rateLimited(refused.result);
    }
  }
}

/** This request's limits (created on first use). */
export function limitsOf(c: Context<AppBindings>): RequestLimits {
  let limits = c.get("limits");
  if (!limits) {
    limits = new RequestLimits(c);
    c.set("limits", limits);
  }
  return limits;
}

/** Remembers the most restrictive result of this request, for the response headers. */
function remember(c: Context<AppBindings>, r: RateLimitResult) {
  const seen = c.get("rateLimit");
  if (!seen || r.remaining < seen.remaining || (!r.success && seen.success)) c.set("rateLimit", r);
}

/**
 * Adds `rule` for `key` to this request's checks and decides them all (throws the 429 problem, or
 * the 503 `rate_limiter_unavailable`). For a handler whose route middleware left the decision to it.
 */
export async function enforceRateLimit(
  c: Context<AppBindings>,
  pick: PickRule,
  key: string,
  mode: "count" | "check" = "count",
): Promise<void> {
  await limitsOf(c).add(pick, key, mode).decide();
}

/**
 * Counts one more request against `rule` for `key` after this request's limits were decided (a
 * failed login, known only once the password was checked): a second limiter call, which the caller
 * runs beside its own write. Never throws: the request has already been admitted.
 */
export async function countAfterDecision(c: Context<AppBindings>, pick: PickRule, key: string) {
  const config = c.get("config");
  if (!config.RATE_LIMIT_ENABLED) return;
  try {
    const [result] = await getRateLimiter(config).check([
      { rule: pick(rateRules(config)), key, count: true },
    ]);
    if (result) remember(c, result);
  } catch {
    // Redis and the fallback both failed: the next attempt's check fails closed anyway.
  }
}

/** Route middleware that add checks of their own and see to their decision (see the module doc). */
const decidingMiddleware = new WeakSet<object>();
/** Hono's mark on a sub-app handler it wrapped when mounting it (`app.route`). */
const COMPOSED_HANDLER = "__COMPOSED_HANDLER";

function routeDecidesItself(c: Context<AppBindings>): boolean {
  for (const { handler } of matchedRoutes(c)) {
    const inner = (handler as unknown as Record<string, unknown>)[COMPOSED_HANDLER];
    if (decidingMiddleware.has(handler) || (typeof inner === "function" && decidingMiddleware.has(inner)))
      return true;
  }
  return false;
}

/** Marks `middleware` as one that adds rate-limit checks and sees to their decision. */
export function decidesRateLimits<M extends MiddlewareHandler<AppBindings>>(middleware: M): M {
  decidingMiddleware.add(middleware);
  return middleware;
}

/**
 * Global limit per client IP over the whole API, and the RateLimit-* headers on every limited
 * answer (the most restrictive limit the request met), errors included.
 */
export function rateLimit(): MiddlewareHandler<AppBindings> {
  return async function rateLimitMiddleware(c, next) {
    if (!c.get("config").RATE_LIMIT_ENABLED) return next();
    const limits = limitsOf(c).add((r) => r.ip, clientIpKey(c));
    if (!routeDecidesItself(c)) await limits.decide();
    await next();
    // The route failed before its decision (a bad token, a malformed body): still counted, and a
    // limited client gets the 429 (nothing was written: writes come after the decision).
    if (limits.undecided) await limits.decide();
    const r = c.get("rateLimit");
    if (r) for (const [name, value] of Object.entries(limitHeaders(r))) c.res.headers.set(name, value);
  };
}

/**
 * Route middleware: `rule` per client IP (login, register), decided with the whole-API rule in one
 * limiter call, before validation and hashing. With `decidedBy: "handler"` the handler adds its own
 * checks (the failed-login check, the per-address e-mail rule) and decides before it writes.
 */
export function rateLimitByIp(
  pick: PickRule,
  options: { decidedBy?: "middleware" | "handler" } = {},
): MiddlewareHandler<AppBindings> {
  const inHandler = options.decidedBy === "handler";
  return decidesRateLimits(async function rateLimitByIpMiddleware(c, next) {
    const limits = limitsOf(c).add(pick, clientIpKey(c));
    if (!inHandler) await limits.decide();
    await next();
  });
}
