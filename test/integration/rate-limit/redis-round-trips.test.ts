/**
 * Every rate-limit rule of a request in one Redis round trip, against a real Redis through the
 * gateway's Upstash REST emulation. The Worker's calls are counted where they leave it: the global
 * `fetch` is wrapped (and passed through untouched) so each Upstash REST request is recorded with
 * its command. Metrics flushes (`/pipeline`, after the response) are not the limiter's and are left
 * out. The concurrency tests also hold the Upstash answer back until the database request has
 * started (or HOLD_MS have passed, with REDIS_TIMEOUT_MS well above it so that Redis, not the
 * fallback, decides), so what they see is the order the code imposes, not luck.
 */
import { afterEach, beforeEach, describe, expect, inject, it, vi } from "vitest";
import { countRoundTrips } from "../../helpers/db.ts";
import { createUser, loginAs, unique } from "../../helpers/factories.ts";
import { type ApiResponse, api, type TestEnv } from "../../helpers/harness.ts";
import { randomIp, redisAvailable, upstashEnv } from "../../helpers/redis.ts";

/** The longest an Upstash answer is held back; well under REDIS_TIMEOUT_MS, so Redis still decides. */
const HOLD_MS = 1000;

const upstashUrl = () => `${inject("gatewayUrl")}/upstash`;

interface Recorder {
  /** Lower-cased command of each limiter call to Upstash, in order (`evalsha`, `eval`, ...). */
  redis: string[];
  /** `redis:start`, `redis:end`, `sql:start`, `sql:end` in the order they happened. */
  events: string[];
}

/** Records the Worker's Upstash and database requests; `holdRedis` delays Upstash answers (see above). */
function record(options: { holdRedis?: boolean } = {}): Recorder {
  const recorder: Recorder = { redis: [], events: [] };
  let sqlStarted: () => void = () => {};
  const sqlStart = new Promise<void>((resolve) => {
    sqlStarted = resolve;
  });
  const realFetch = globalThis.fetch;
  vi.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => {
    const url = input instanceof Request ? input.url : String(input);
    if (url.startsWith(upstashUrl()) && !url.endsWith("/pipeline")) {
      const [command] = JSON.parse(String(init?.body)) as [string];
      recorder.redis.push(command.toLowerCase());
      recorder.events.push("redis:start");
      const res = await realFetch(input, init);
      if (options.holdRedis)
        await Promise.race([sqlStart, new Promise((resolve) => setTimeout(resolve, HOLD_MS))]);
      recorder.events.push("redis:end");
      return res;
    }
    if (url.endsWith("/sql")) {
      recorder.events.push("sql:start");
      sqlStarted();
      const res = await realFetch(input, init);
      recorder.events.push("sql:end");
      return res;
    }
    return realFetch(input, init);
  });
  return recorder;
}

/** Upstash over the real Redis with limits on; the first request per env object loads the script. */
const limitedEnv = (overrides: Record<string, unknown> = {}): TestEnv =>
  upstashEnv({ RATE_LIMIT_ENABLED: "true", ...overrides });

/** Sends a Redis command straight to the gateway's Upstash endpoint (not through the Worker). */
async function redisCommand(command: string[]): Promise<unknown> {
  const res = await fetch(upstashUrl(), {
    method: "POST",
    headers: { Authorization: `Bearer ${inject("upstashToken")}`, "Content-Type": "application/json" },
    body: JSON.stringify(command),
  });
  return ((await res.json()) as { result: unknown }).result;
}

const expectLimitHeaders = (res: ApiResponse) => {
  expect(res.headers.get("RateLimit-Limit"), res.dump).not.toBeNull();
  expect(res.headers.get("RateLimit-Remaining"), res.dump).not.toBeNull();
};

describe.runIf(redisAvailable())("one Redis round trip per request for all its rules", () => {
  let env: TestEnv;
  const headers = () => ({ "CF-Connecting-IP": randomIp() });

  beforeEach(async () => {
    env = limitedEnv();
    // Loads the script into Redis (EVALSHA, then EVAL on NOSCRIPT at most once), before counting.
    expect((await api("GET", "/", { env, headers: headers() })).status).toBe(200);
  });
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it("GET / (whole-API rule): one EVALSHA", async () => {
    const calls = record();
    const res = await api("GET", "/", { env, headers: headers() });
    expect(res.status, res.dump).toBe(200);
    expectLimitHeaders(res);
    expect(calls.redis).toEqual(["evalsha"]);
  });

  it("GET /users/me (whole-API + per-user rules): one EVALSHA, and still one database round trip", async () => {
    const user = await createUser();
    const { access_token } = await loginAs(user, { env, headers: headers() });
    const calls = record();
    const me = await countRoundTrips((counted) =>
      api("GET", "/api/v1/users/me", {
        token: access_token,
        env: { ...env, DATABASE_URL: counted.DATABASE_URL },
        headers: headers(),
      }),
    );
    expect(me.result.status, me.result.dump).toBe(200);
    expectLimitHeaders(me.result);
    expect(calls.redis).toEqual(["evalsha"]);
    expect(me.sqlRequests).toBe(1);
  });

  it("login (whole-API + login per IP + failed-login check): one EVALSHA when it succeeds", async () => {
    const user = await createUser();
    const calls = record();
    const res = await api("POST", "/api/v1/auth/login", {
      json: { username: user.username, password: user.password },
      env,
      headers: headers(),
    });
    expect(res.status, res.dump).toBe(200);
    expectLimitHeaders(res);
    expect(calls.redis).toEqual(["evalsha"]);
  });

  it("a failed login: the decision, then the failure counted beside the login_failed insert", async () => {
    const user = await createUser();
    const calls = record();
    const res = await api("POST", "/api/v1/auth/login", {
      json: { username: user.username, password: "wrong-password-x" },
      env,
      headers: headers(),
    });
    expect(res.status, res.dump).toBe(401);
    expect(calls.redis).toEqual(["evalsha", "evalsha"]);
    // The decision comes before any write; the failure count runs while the event is inserted.
    const firstRedisEnd = calls.events.indexOf("redis:end");
    const lastSqlStart = calls.events.lastIndexOf("sql:start");
    expect(firstRedisEnd).toBeLessThan(lastSqlStart);
    expect(calls.events.lastIndexOf("redis:start")).toBeGreaterThan(firstRedisEnd);
  });

  it("register, password-reset request and verification resend: one EVALSHA each", async () => {
    const username = `u${unique()}`;
    const calls = record();
    const registered = await api("POST", "/api/v1/auth/register", {
      json: { username, email: `${username}@example.com`, password: "a-long-password-1" },
      env,
      headers: headers(),
    });
    expect(registered.status, registered.dump).toBe(201);
    expect(calls.redis).toEqual(["evalsha"]);

    calls.redis.length = 0;
    const reset = await api("POST", "/api/v1/auth/password-reset/request", {
      json: { email: `${username}@example.com` },
      env,
      headers: headers(),
    });
    expect(reset.status, reset.dump).toBe(202);
    expect(calls.redis).toEqual(["evalsha"]);

    vi.restoreAllMocks();
    const { access_token } = await loginAs(
      { username, password: "a-long-password-1" },
      { env, headers: headers() },
    );
    const again = record();
    const resend = await api("POST", "/api/v1/auth/verify-email/resend", {
      token: access_token,
      env,
      headers: headers(),
    });
    expect(resend.status, resend.dump).toBe(202);
    expect(again.redis).toEqual(["evalsha"]);
  });

  it("a Redis that lost its scripts (NOSCRIPT) gets EVAL once, then EVALSHA again", async () => {
    expect(await redisCommand(["SCRIPT", "FLUSH"])).toBe("OK");
    const calls = record();
    expect((await api("GET", "/", { env, headers: headers() })).status).toBe(200);
    expect((await api("GET", "/", { env, headers: headers() })).status).toBe(200);
    expect(calls.redis).toEqual(["evalsha", "eval", "evalsha"]);
  });
});

describe.runIf(redisAvailable())("reads decide concurrently with their statement, writes before it", () => {
  const limitedEnv = (overrides: Record<string, unknown> = {}) =>
    upstashEnv({ RATE_LIMIT_ENABLED: "true", REDIS_TIMEOUT_MS: String(HOLD_MS * 5), ...overrides });

  afterEach(() => {
    vi.restoreAllMocks();
  });

  it("GET /users/me sends its statement while the limiter's call is still out", async () => {
    const env = limitedEnv();
    const user = await createUser();
    const { access_token } = await loginAs(user, { env, headers: { "CF-Connecting-IP": randomIp() } });
    const calls = record({ holdRedis: true });
    const res = await api("GET", "/api/v1/users/me", {
      token: access_token,
      env,
      headers: { "CF-Connecting-IP": randomIp() },
    });
    expect(res.status, res.dump).toBe(200);
    expect(calls.events.indexOf("sql:start")).toBeGreaterThan(-1);
    expect(calls.events.indexOf("sql:start")).toBeLessThan(calls.events.indexOf("redis:end"));
  });

  it("a limited read still answers 429 (its statement ran, its answer is not sent)", async () => {
    const env = limitedEnv({ RATE_LIMIT_USER_PER_HOUR: "1" });
    const user = await createUser();
    const { access_token } = await loginAs(user, { env, headers: { "CF-Connecting-IP": randomIp() } });
    const get = () =>
      api("GET", "/api/v1/users/me", {
        token: access_token,
        env,
        headers: { "CF-Connecting-IP": randomIp() },
      });
    expect((await get()).status).toBe(200);
    const calls = record({ holdRedis: true });
    const limited = await get();
    expect(limited.status, limited.dump).toBe(429);
    expect(limited.body.code).toBe("rate_limited");
    expect(limited.body.username).toBeUndefined();
    expect(Number(limited.headers.get("Retry-After"))).toBeGreaterThanOrEqual(1);
    expect(calls.events).toContain("sql:start");
  });

  it("PATCH /users/me (a write) waits for the decision before its statement", async () => {
    const env = limitedEnv();
    const user = await createUser();
    const { access_token } = await loginAs(user, { env, headers: { "CF-Connecting-IP": randomIp() } });
    const calls = record({ holdRedis: true });
    const res = await api("PATCH", "/api/v1/users/me", {
      token: access_token,
      json: { full_name: "Ada Lovelace" },
      env,
      headers: { "CF-Connecting-IP": randomIp() },
    });
    expect(res.status, res.dump).toBe(200);
    expect(calls.redis).toEqual(["evalsha"]);
    expect(calls.events.indexOf("redis:end")).toBeGreaterThan(-1);
    expect(calls.events.indexOf("redis:end")).toBeLessThan(calls.events.indexOf("sql:start"));
  });

  it("a limited write answers 429 without touching the database", async () => {
    const env = limitedEnv({ RATE_LIMIT_USER_PER_HOUR: "1" });
    const user = await createUser();
    const { access_token } = await loginAs(user, { env, headers: { "CF-Connecting-IP": randomIp() } });
    const patch = (fullName: string) =>
      api("PATCH", "/api/v1/users/me", {
        token: access_token,
        json: { full_name: fullName },
        env,
        headers: { "CF-Connecting-IP": randomIp() },
      });
    expect((await patch("First")).status).toBe(200);
    const calls = record();
    const limited = await patch("Second");
    expect(limited.status, limited.dump).toBe(429);
    expect(calls.events).not.toContain("sql:start");
  });
});
