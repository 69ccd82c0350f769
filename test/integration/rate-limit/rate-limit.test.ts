/**
 * The rules as the API applies them, against the in-memory limiter and against a real Redis through
 * the gateway's Upstash REST emulation (whenever one answers; CI requires it).
 */
import { createScheduledController } from "cloudflare:test";
import { afterAll, afterEach, describe, expect, inject, it, vi } from "vitest";
import worker from "../../../src/index.ts";
import { hashComputationCount } from "../../../src/services/password.ts";
import { countRoundTrips, sql } from "../../helpers/db.ts";
import { createUser, loginAs, unique } from "../../helpers/factories.ts";
import { type ApiResponse, api, envWith, type TestEnv, testEnv } from "../../helpers/harness.ts";
import { awayFromWindowEdge, chaosRedis, randomIp, redisAvailable, upstashEnv } from "../../helpers/redis.ts";

const backends: [string, (o?: Record<string, unknown>) => TestEnv][] = [
  ["memory", (o = {}) => envWith({ RATE_LIMIT_ENABLED: "true", ...o })],
];
if (redisAvailable()) backends.push(["redis", (o = {}) => upstashEnv({ RATE_LIMIT_ENABLED: "true", ...o })]);

const login = (
  env: TestEnv,
  ip: string,
  json: Record<string, unknown>,
  extraHeaders: Record<string, string> = {},
) => api("POST", "/api/v1/auth/login", { json, env, headers: { "CF-Connecting-IP": ip, ...extraHeaders } });

const expect429 = (res: ApiResponse) => {
  expect(res.status, res.dump).toBe(429);
  expect(res.body.code).toBe("rate_limited");
  expect(Number(res.headers.get("Retry-After"))).toBeGreaterThanOrEqual(1);
  expect(res.headers.get("RateLimit-Remaining")).toBe("0");
  expect(Number(res.headers.get("RateLimit-Reset"))).toBeGreaterThanOrEqual(0);
};

/** Keys the limiter wrote to the real Redis (asked through the gateway's Upstash REST endpoint). */
async function redisKeys(pattern: string): Promise<string[]> {
  const res = await fetch(`${inject("gatewayUrl")}/upstash`, {
    method: "POST",
    headers: { Authorization: `Bearer ${inject("upstashToken")}`, "Content-Type": "application/json" },
    body: JSON.stringify(["KEYS", pattern]),
  });
  return ((await res.json()) as { result: string[] }).result;
}

describe.each(backends)("rate-limit rules (%s)", (backend, makeEnv) => {
  it("login: 5 per minute per IP, then 429 with Retry-After and RateLimit-* headers", async () => {
    await awayFromWindowEdge(60);
    const env = makeEnv();
    const ip = randomIp();
    const user = await createUser();
    const statuses: number[] = [];
    let last: ApiResponse | undefined;
    for (let i = 0; i < 6; i++) {
      last = await login(env, ip, { username: user.username, password: "wrong-password-x" });
      statuses.push(last.status);
    }
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429]);
    expect429(last as ApiResponse);
    expect(last?.headers.get("RateLimit-Limit")).toBe("5");
    // With Redis configured, the count really lives in Redis (not in the in-memory fallback).
    if (backend === "redis") expect(await redisKeys(`rl:login:ip:${ip}:*`)).not.toHaveLength(0);
    // Another client is not affected.
    expect((await login(env, randomIp(), { username: user.username, password: user.password })).status).toBe(
      200,
    );
  });

  it("a spoofed X-Forwarded-For changes nothing: only CF-Connecting-IP identifies the client", async () => {
    await awayFromWindowEdge(60);
    const nobody = `nobody_${unique()}`;
    const env = makeEnv();
    const ip = randomIp();
    for (let i = 0; i < 5; i++) await login(env, ip, { username: nobody, password: "wrong-password-x" });
    const spoofed = await login(
      env,
      ip,
      { username: nobody, password: "x" },
      { "X-Forwarded-For": randomIp(), "X-Real-IP": randomIp() },
    );
    expect429(spoofed);
  });

  it("30 parallel login attempts from one IP within a second let exactly 5 through", async () => {
    await awayFromWindowEdge(60);
    const env = makeEnv();
    const ip = randomIp();
    const user = await createUser();
    const results = await Promise.all(
      Array.from({ length: 30 }, () => login(env, ip, { username: user.username, password: user.password })),
    );
    const passed = results.filter((r) => r.status !== 429);
    expect(passed, results.map((r) => r.status).join(",")).toHaveLength(5);
    expect(passed.every((r) => r.status === 200)).toBe(true);
  });

  it("register: 5 per minute per IP", async () => {
    await awayFromWindowEdge(60);
    const env = makeEnv();
    const ip = randomIp();
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) {
      const res = await api("POST", "/api/v1/auth/register", {
        json: { username: "x" },
        env,
        headers: { "CF-Connecting-IP": ip },
      });
      statuses.push(res.status);
    }
    expect(statuses).toEqual([422, 422, 422, 422, 422, 429]);
  });

  it("runs before password hashing: a limited login computes no hash", async () => {
    await awayFromWindowEdge(60);
    const env = makeEnv({ RATE_LIMIT_AUTH_PER_MINUTE: "1" });
    const ip = randomIp();
    const user = await createUser();
    await login(env, ip, { username: user.username, password: "wrong-password-x" });
    const before = hashComputationCount();
    expect429(await login(env, ip, { username: user.username, password: user.password }));
    expect(hashComputationCount()).toBe(before);
  });

  it("100 per minute per IP over the whole API (configurable), headers on every answer", async () => {
    await awayFromWindowEdge(60);
    const env = makeEnv({ RATE_LIMIT_IP_PER_MINUTE: "3" });
    const ip = randomIp();
    const answers: ApiResponse[] = [];
    for (const path of ["/", "/health", "/api/v1/nothing", "/"])
      answers.push(await api("GET", path, { env, headers: { "CF-Connecting-IP": ip } }));
    expect(answers.map((r) => r.status)).toEqual([200, 200, 404, 429]);
    expect(answers.map((r) => r.headers.get("RateLimit-Remaining"))).toEqual(["2", "1", "0", "0"]);
    for (const r of answers) expect(r.headers.get("RateLimit-Limit")).toBe("3");
    expect429(answers[3] as ApiResponse);
    const defaults = await api("GET", "/", { env: makeEnv(), headers: { "CF-Connecting-IP": randomIp() } });
    expect(defaults.headers.get("RateLimit-Limit")).toBe("100");
  });

  it("1000 per hour per authenticated user (configurable), whatever the IP", async () => {
    await awayFromWindowEdge(3600);
    const env = makeEnv({ RATE_LIMIT_USER_PER_HOUR: "2" });
    const user = await createUser();
    const { access_token } = await loginAs(user, { env, headers: { "CF-Connecting-IP": randomIp() } });
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) {
      statuses.push(
        (
          await api("GET", "/api/v1/users/me", {
            token: access_token,
            env,
            headers: { "CF-Connecting-IP": randomIp() },
          })
        ).status,
      );
    }
    expect(statuses).toEqual([200, 200, 429]);
  });

  it("failed logins per account: credential stuffing from many IPs is stopped, before hashing, for that account only", async () => {
    await awayFromWindowEdge(900);
    const ghost = `ghost_${unique()}`;
    const env = makeEnv({ RATE_LIMIT_FAILED_LOGINS: "3" });
    const victim = await createUser();
    const bystander = await createUser();
    for (let i = 0; i < 3; i++) {
      expect(
        (await login(env, randomIp(), { username: victim.username, password: `guess-number-${i}` })).status,
      ).toBe(401);
    }
    const before = hashComputationCount();
    const blocked = await login(env, randomIp(), { username: victim.email, password: victim.password });
    expect429(blocked);
    expect(hashComputationCount()).toBe(before);
    expect(
      (await login(env, randomIp(), { username: bystander.username, password: bystander.password })).status,
    ).toBe(200);
    // Unknown accounts are throttled the same way, so the 429 reveals nothing about existence.
    for (let i = 0; i < 3; i++) await login(env, randomIp(), { username: ghost, password: `guess-${i}` });
    expect429(await login(env, randomIp(), { username: ghost.toUpperCase(), password: "guess" }));
  });
});

/** A random /64 in the documentation range, and a random address inside it. */
const randomV6Prefix = () =>
  `2001:db8:${Math.floor(Math.random() * 0xffff).toString(16)}:${Math.floor(Math.random() * 0xffff).toString(16)}`;
const randomInterface = () =>
  Array.from({ length: 4 }, () => Math.floor(Math.random() * 0xffff).toString(16)).join(":");

describe("per-IP keys for IPv6 (one /64 is one client)", () => {
  it("rotating through addresses of one /64 still gets 429 on the login rule; another /64 does not", async () => {
    await awayFromWindowEdge(60);
    const env = envWith({ RATE_LIMIT_ENABLED: "true" });
    const prefix = randomV6Prefix();
    const nobody = `nobody_${unique()}`;
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) {
      const ip = i % 2 ? `${prefix.toUpperCase()}:${randomInterface()}` : `${prefix}:${randomInterface()}`;
      statuses.push((await login(env, ip, { username: nobody, password: "wrong-password-x" })).status);
    }
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429]);
    const neighbour = `${randomV6Prefix()}:${randomInterface()}`;
    expect((await login(env, neighbour, { username: nobody, password: "wrong-password-x" })).status).toBe(
      401,
    );
  });

  it("an IPv4-mapped IPv6 address shares the IPv4 address's budget", async () => {
    await awayFromWindowEdge(60);
    const env = envWith({ RATE_LIMIT_ENABLED: "true", RATE_LIMIT_AUTH_PER_MINUTE: "2" });
    const ip = randomIp();
    const nobody = `nobody_${unique()}`;
    expect((await login(env, ip, { username: nobody, password: "wrong-password-x" })).status).toBe(401);
    expect(
      (await login(env, `::ffff:${ip}`, { username: nobody, password: "wrong-password-x" })).status,
    ).toBe(401);
    expect429(await login(env, ip, { username: nobody, password: "wrong-password-x" }));
  });
});

describe("failure behaviour", () => {
  it("without Upstash configured: in-memory limiter, /health says redis disabled", async () => {
    const res = await api("GET", "/health", {
      env: envWith({ RATE_LIMIT_ENABLED: "true" }),
      headers: { "CF-Connecting-IP": randomIp() },
    });
    expect(res.status, res.dump).toBe(200);
    expect(res.body.redis).toBe("disabled");
    expect(res.headers.get("RateLimit-Limit")).toBe("100");
  });

  it("with Upstash configured but unreachable from the start: degraded, limits still hold, no 500", async () => {
    await awayFromWindowEdge(60);
    const nobody = `nobody_${unique()}`;
    const env = envWith({
      RATE_LIMIT_ENABLED: "true",
      UPSTASH_REDIS_REST_URL: "http://127.0.0.1:9/upstash",
      UPSTASH_REDIS_REST_TOKEN: "x",
    });
    const ip = randomIp();
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++)
      statuses.push((await login(env, ip, { username: nobody, password: "wrong-password-x" })).status);
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429]);
    const health = await api("GET", "/health", { env, headers: { "CF-Connecting-IP": randomIp() } });
    expect(health.body.redis).toBe("degraded");
  });

  describe.runIf(redisAvailable())(
    "Redis stopping or slowing down in the middle of a run (on the chaos gateway)",
    () => {
      afterAll(async () => {
        await chaosRedis(inject("redisUrl"));
      });

      it("degrades to the rules' fallbacks with no 500 and limits still enforced, then recovers", async () => {
        await awayFromWindowEdge(60);
        const nobody = `nobody_${unique()}`;
        const env = upstashEnv({ RATE_LIMIT_ENABLED: "true" }, { chaos: true });
        const healthy = await api("GET", "/health", { env, headers: { "CF-Connecting-IP": randomIp() } });
        expect(healthy.body.redis, healthy.dump).toBe("healthy");

        const ip = randomIp();
        expect((await login(env, ip, { username: nobody, password: "wrong-password-x" })).status).toBe(401);
        await chaosRedis("redis://127.0.0.1:9");
        const statuses: number[] = [];
        for (let i = 0; i < 6; i++)
          statuses.push((await login(env, ip, { username: nobody, password: "wrong-password-x" })).status);
        expect(statuses).not.toContain(500);
        expect(statuses.filter((s) => s === 429).length).toBeGreaterThanOrEqual(1);
        expect(statuses.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
        const degraded = await api("GET", "/health", { env, headers: { "CF-Connecting-IP": randomIp() } });
        expect(degraded.status, degraded.dump).toBe(200);
        expect(degraded.body.redis).toBe("degraded");

        await chaosRedis(inject("redisUrl"));
        const fresh = upstashEnv({ RATE_LIMIT_ENABLED: "true" }, { chaos: true });
        const recovered = await api("GET", "/health", {
          env: fresh,
          headers: { "CF-Connecting-IP": randomIp() },
        });
        expect(recovered.body.redis).toBe("healthy");
      });

      it("a Redis slower than REDIS_TIMEOUT_MS is bounded: the fallback decides, limits hold, health is degraded", async () => {
        await awayFromWindowEdge(60);
        const nobody = `nobody_${unique()}`;
        // Redis answers after 1.5 s; with REDIS_TIMEOUT_MS 200 the limiter must give up first, which
        // shows as "degraded" below (a Redis that answered, however late, would leave it healthy).
        await chaosRedis(inject("redisUrl"), 1500);
        const env = upstashEnv({ RATE_LIMIT_ENABLED: "true", REDIS_TIMEOUT_MS: "200" }, { chaos: true });
        const ip = randomIp();
        // Counts the limiter's calls to Redis (the Upstash client fetches the chaos gateway's REST
        // endpoint); a wall-clock bound on all six logins would also measure the database fallback.
        const redisCalls: string[] = [];
        const realFetch = globalThis.fetch;
        const spy = vi.spyOn(globalThis, "fetch").mockImplementation((input, init) => {
          const url = input instanceof Request ? input.url : String(input);
          // The limiter's own calls (metrics flushes go to /pipeline, off the response path).
          if (url.startsWith(`${inject("chaosGatewayUrl")}/upstash`) && !url.endsWith("/pipeline"))
            redisCalls.push(url);
          return realFetch(input, init);
        });
        const statuses: number[] = [];
        try {
          // No wall-clock assertion: this machine's load would make one flaky.
          for (let i = 0; i < 6; i++) {
            statuses.push((await login(env, ip, { username: nobody, password: "wrong-password-x" })).status);
          }
        } finally {
          spy.mockRestore();
        }
        expect(statuses).toEqual([401, 401, 401, 401, 401, 429]);
        // Only the first call waits out the timeout; then Redis is left alone for a while.
        expect(redisCalls).toHaveLength(1);
        const health = await api("GET", "/health", { env, headers: { "CF-Connecting-IP": randomIp() } });
        expect(health.status, health.dump).toBe(200);
        expect(health.body.redis).toBe("degraded");
        await chaosRedis(inject("redisUrl"));
      });

      // Config, and with it the limiter and its in-memory fallback, is built once per env object:
      // two env objects behave like two isolates of the same deployment.
      const twoIsolates = (overrides: Record<string, unknown> = {}) =>
        [1, 2].map(() => upstashEnv({ RATE_LIMIT_ENABLED: "true", ...overrides }, { chaos: true })) as [
          TestEnv,
          TestEnv,
        ];

      it("during an outage the login rule counts in the database, across isolates", async () => {
        await awayFromWindowEdge(60);
        const [a, b] = twoIsolates();
        const nobody = `nobody_${unique()}`;
        const ip = randomIp();
        await chaosRedis("redis://127.0.0.1:9");
        const statuses: number[] = [];
        for (const env of [a, a, a, b, b, b])
          statuses.push((await login(env, ip, { username: nobody, password: "wrong-password-x" })).status);
        expect(statuses).toEqual([401, 401, 401, 401, 401, 429]);
        const [row] = await sql`select count from rate_limit_counters where key = ${`login:ip:${ip}`}`;
        expect(row?.count).toBe(6);
        await chaosRedis(inject("redisUrl"));
      });

      it("during an outage failed logins per account count across isolates and IPs", async () => {
        await awayFromWindowEdge(900);
        const [a, b] = twoIsolates({ RATE_LIMIT_FAILED_LOGINS: "3" });
        const victim = await createUser();
        await chaosRedis("redis://127.0.0.1:9");
        for (const env of [a, b, a])
          expect(
            (await login(env, randomIp(), { username: victim.username, password: "guess-x" })).status,
          ).toBe(401);
        expect429(await login(b, randomIp(), { username: victim.username, password: victim.password }));
        await chaosRedis(inject("redisUrl"));
      });

      it("during an outage the whole-API rule stays per isolate (in memory)", async () => {
        await awayFromWindowEdge(60);
        const [a, b] = twoIsolates({ RATE_LIMIT_IP_PER_MINUTE: "2" });
        const headers = { "CF-Connecting-IP": randomIp() };
        await chaosRedis("redis://127.0.0.1:9");
        const statuses: number[] = [];
        for (const env of [a, a, a, b]) statuses.push((await api("GET", "/", { env, headers })).status);
        expect(statuses).toEqual([200, 200, 429, 200]);
        await chaosRedis(inject("redisUrl"));
      });

      describe("logs", () => {
        afterEach(() => {
          vi.restoreAllMocks();
        });

        it("logs every outage and every recovery, on the transition", async () => {
          const lines: { level: string; msg: string }[] = [];
          for (const method of ["log", "warn", "error"] as const) {
            vi.spyOn(console, method).mockImplementation((line: unknown) => {
              if (typeof line === "string" && line.startsWith("{")) lines.push(JSON.parse(line));
            });
          }
          const env = upstashEnv({ RATE_LIMIT_ENABLED: "true", LOG_LEVEL: "info" }, { chaos: true });
          const request = () => api("GET", "/", { env, headers: { "CF-Connecting-IP": randomIp() } });
          const limiterLines = () =>
            lines.filter((l) => l.msg.startsWith("rate limiter: redis")).map((l) => `${l.level} ${l.msg}`);

          expect((await request()).status).toBe(200);
          await chaosRedis("redis://127.0.0.1:9");
          for (let i = 0; i < 3; i++) expect((await request()).status).toBe(200);
          await chaosRedis(inject("redisUrl"));
          // Redis is left alone for 5 s after a failure; the first request after that finds it back.
          await new Promise((resolve) => setTimeout(resolve, 5_100));
          for (let i = 0; i < 3; i++) expect((await request()).status).toBe(200);
          await chaosRedis("redis://127.0.0.1:9");
          for (let i = 0; i < 3; i++) expect((await request()).status).toBe(200);
          await chaosRedis(inject("redisUrl"));

          expect(limiterLines()).toEqual([
            "warn rate limiter: redis unavailable",
            "info rate limiter: redis recovered",
            "warn rate limiter: redis unavailable",
          ]);
          expect(lines.find((l) => l.msg === "rate limiter: redis unavailable")).toMatchObject({
            rule: "ip",
            retry_after_ms: 5000,
          });
        });
      });
    },
  );

  it("with Redis down and the database unreachable too, login and register answer 503 rate_limiter_unavailable", async () => {
    const env = envWith({
      RATE_LIMIT_ENABLED: "true",
      UPSTASH_REDIS_REST_URL: "http://127.0.0.1:9/upstash",
      UPSTASH_REDIS_REST_TOKEN: "x",
      DATABASE_URL: "postgres://postgres:postgres@127.0.0.1:9/auth_api",
    });
    const ip = randomIp();
    const loginRes = await login(env, ip, { username: `nobody_${unique()}`, password: "wrong-password-x" });
    const registerRes = await api("POST", "/api/v1/auth/register", {
      json: { username: `u${unique()}`, email: `${unique()}@example.com`, password: "a-long-password-1" },
      env,
      headers: { "CF-Connecting-IP": ip },
    });
    for (const res of [loginRes, registerRes]) {
      expect(res.status, res.dump).toBe(503);
      expect(res.body.code).toBe("rate_limiter_unavailable");
      expect(res.headers.get("Retry-After")).toBe("5");
    }
    // The whole-API rule still decides in memory: routes without a credential rule keep answering.
    expect((await api("GET", "/", { env, headers: { "CF-Connecting-IP": ip } })).status).toBe(200);
  });

  it("the database fallback costs no round trip while Redis is healthy", async () => {
    const user = await createUser();
    const limited = (env: TestEnv, redisUrl: string) => ({
      ...env,
      RATE_LIMIT_ENABLED: "true",
      UPSTASH_REDIS_REST_URL: redisUrl,
      UPSTASH_REDIS_REST_TOKEN: inject("upstashToken"),
    });
    const headers = { "CF-Connecting-IP": randomIp() };
    if (redisAvailable()) {
      const healthy = await countRoundTrips((env) =>
        loginAs(user, { env: limited(env, `${inject("gatewayUrl")}/upstash`), headers }),
      );
      expect(healthy.sqlRequests).toBe(2);
    }
    // During an outage: + the login rule's upsert + the failed-login rule's look.
    const outage = await countRoundTrips((env) =>
      loginAs(user, { env: limited(env, "http://127.0.0.1:9/upstash"), headers }),
    );
    expect(outage.sqlRequests).toBe(4);
  });
});

describe("client identity without CF-Connecting-IP (local development)", () => {
  it("every caller shares one fixed local key, whatever X-Forwarded-For says", async () => {
    await awayFromWindowEdge(60);
    // In-memory only: this isolate's limiter is not shared, so the fixed key cannot collide with other files.
    const env = envWith({ RATE_LIMIT_ENABLED: "true", RATE_LIMIT_IP_PER_MINUTE: "2" });
    const statuses: number[] = [];
    for (const xff of [randomIp(), randomIp(), randomIp()]) {
      statuses.push((await api("GET", "/", { env, headers: { "X-Forwarded-For": xff } })).status);
    }
    expect(statuses).toEqual([200, 200, 429]);
  });
});

describe("cron: purge rate-limit counters", () => {
  it("deletes counters whose window ended over a day ago, and keeps the rest", async () => {
    const old = `purge-old:${unique()}`;
    const recent = `purge-recent:${unique()}`;
    // The longest window of any rule defaults to an hour (the e-mail rules).
    await sql`insert into rate_limit_counters (key, window_start, count) values
      (${old}, now() - interval '1 day' - interval '2 hours', 3),
      (${recent}, now() - interval '1 day' - interval '30 minutes', 3)`;
    await worker.scheduled(
      createScheduledController({ cron: "*/5 * * * *" }),
      testEnv,
      {} as ExecutionContext,
    );
    const left = await sql`select key from rate_limit_counters where key in (${old}, ${recent})`;
    expect(left.map((r) => r.key)).toEqual([recent]);
  });
});
