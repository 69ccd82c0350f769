/**
 * `GET /api/v1/users/me` latency inside workerd, rate limits off against on (Upstash REST over the
 * real Redis through the local gateway, as in the tests), and on with every Redis answer delayed by
 * REDIS_DELAY_MS (the gateway's chaos switch), which stands in for the distance to Upstash. Run with
 *
 *   REDIS_URL=redis://127.0.0.1:6379 npm run bench:hot-path -- users-me
 *
 * Batches of sequential requests, so a request's latency is what the limiter adds to it; variants
 * interleaved round-robin. It prints median milliseconds per request and requests per second relative to limits
 * off. The database is the local PostgreSQL through the gateway (about a millisecond away), with no
 * added delay: with Upstash and Neon both a few milliseconds away, concurrency hides more.
 */
import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import { expect, inject, it } from "vitest";
import worker from "../../src/index.ts";

const ROUNDS = 15;
const PER_ROUND = 20;
const REDIS_DELAY_MS = Number(process.env.REDIS_DELAY_MS ?? 5);

type BenchEnv = Record<string, unknown>;

const base: BenchEnv = {
  ...env,
  DATABASE_URL: inject("databaseUrl"),
  LOCAL_DB_GATEWAY: inject("gatewayUrl"),
  // The registration's e-mail is not the point here (miniflare would deliver it to a consumer
  // without this env).
  JOBS_QUEUE: { send: async () => {}, sendBatch: async () => {} },
};
const limited = (gateway: string): BenchEnv => ({
  ...base,
  RATE_LIMIT_ENABLED: "true",
  // Limits no run reaches: what is measured is deciding, not refusing.
  RATE_LIMIT_IP_PER_MINUTE: "1000000000",
  RATE_LIMIT_USER_PER_HOUR: "1000000000",
  UPSTASH_REDIS_REST_URL: `${gateway}/upstash`,
  UPSTASH_REDIS_REST_TOKEN: inject("upstashToken"),
});

async function call(
  method: string,
  path: string,
  e: BenchEnv,
  init: RequestInit = {},
): Promise<{ status: number; text: string }> {
  const ctx = createExecutionContext();
  const res = await worker.fetch(
    new Request(`http://localhost${path}`, { method, ...init }) as Request<
      unknown,
      IncomingRequestCfProperties
    >,
    e as unknown as Env,
    ctx,
  );
  const text = await res.text();
  await waitOnExecutionContext(ctx);
  return { status: res.status, text };
}

async function delayChaosRedis(delayMs: number) {
  const res = await fetch(`${inject("chaosGatewayUrl")}/__gateway/redis`, {
    method: "POST",
    headers: { "Content-Type": "application/json", Authorization: `Bearer ${inject("gatewayControlToken")}` },
    body: JSON.stringify({ url: inject("redisUrl"), delay_ms: delayMs }),
  });
  expect(res.status).toBe(200);
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
};

it.runIf(inject("redisUrl") !== "")("GET /users/me: rate limits off against on", async () => {
  const username = `bench_${crypto.randomUUID().slice(0, 8)}`;
  const json = (body: unknown) => ({
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
  const password = "bench-password-not-common-42";
  expect(
    (
      await call(
        "POST",
        "/api/v1/auth/register",
        base,
        json({ username, email: `${username}@example.com`, password }),
      )
    ).status,
  ).toBe(201);
  const login = await call("POST", "/api/v1/auth/login", base, json({ username, password }));
  expect(login.status).toBe(200);
  const { access_token } = JSON.parse(login.text) as { access_token: string };
  await delayChaosRedis(REDIS_DELAY_MS);
  const variants: [string, BenchEnv][] = [
    ["limits off", base],
    ["limits on, Redis local", limited(inject("gatewayUrl"))],
    [`limits on, Redis +${REDIS_DELAY_MS} ms`, limited(inject("chaosGatewayUrl"))],
  ];
  const headers = { Authorization: `Bearer ${access_token}`, "CF-Connecting-IP": "198.51.100.7" };
  const samples = variants.map(() => [] as number[]);
  for (const [, e] of variants)
    for (let i = 0; i < 3; i++) await call("GET", "/api/v1/users/me", e, { headers });
  // The access log's lines go to a no-op console: building them is measured, not printing them.
  const log = console.log;
  console.log = () => {};
  try {
    for (let r = 0; r < ROUNDS; r++) {
      for (const [i, [name, e]] of variants.entries()) {
        // workerd's clock moves in whole milliseconds: a batch's time over its size resolves finer.
        const started = performance.now();
        for (let n = 0; n < PER_ROUND; n++) {
          const res = await call("GET", "/api/v1/users/me", e, { headers });
          if (res.status !== 200) throw new Error(`${name}: GET /users/me answered ${res.status}`);
        }
        samples[i]?.push((performance.now() - started) / PER_ROUND);
      }
    }
  } finally {
    console.log = log;
    await delayChaosRedis(0);
  }
  const off = median(samples[0] as number[]);
  const width = Math.max(...variants.map(([name]) => name.length));
  console.log(
    [
      `GET /api/v1/users/me: median of ${ROUNDS} batches of ${PER_ROUND} sequential requests per variant`,
      `${"variant".padEnd(width)}  ms median  req/s relative to limits off`,
      ...variants.map(([name], i) => {
        const ms = median(samples[i] as number[]);
        return `${name.padEnd(width)}  ${ms.toFixed(2).padStart(9)}  ${(off / ms).toFixed(2)}`;
      }),
    ].join("\n"),
  );
});
