/**
 * The middleware floor inside workerd: the product's `GET /` (every global middleware, no database,
 * rate limits on in memory and off) against a bare Hono route answering the same JSON, plus the
 * product's middleware added one at a time, to see what each costs. Not part of `npx vitest run`;
 * run it with
 *
 *   npm run bench:hot-path -- middleware-floor
 *
 * In-process `fetch` calls (no network, no socket): what is left is the Worker's own CPU per request.
 * Samples of BATCH sequential requests, interleaved round-robin over the variants so the machine's
 * load drifts over all of them alike; it prints the median microseconds per request and the ratio
 * to the bare route (requests per second relative to bare: 1.0 = as fast as bare Hono). workerd's
 * clock only moves across I/O, so every sample is fenced with a zero-length timer on both sides.
 * The access log's line goes to a no-op console: what is measured is building the line, not the
 * runtime's log sink.
 */
import { createExecutionContext, env } from "cloudflare:test";
import { Hono } from "hono";
import { secureHeaders } from "hono/secure-headers";
import { expect, it, vi } from "vitest";
import { version } from "../../package.json";
import { API_NAME, metaRouter } from "../../src/features/meta/meta.index.ts";
import worker from "../../src/index.ts";
import { createRouter } from "../../src/lib/router.ts";
import { accessLog } from "../../src/middleware/access-log.ts";
import { bodyLimit } from "../../src/middleware/body-limit.ts";
import { cors } from "../../src/middleware/cors.ts";
import { rateLimit } from "../../src/middleware/rate-limit.ts";
import { requestId } from "../../src/middleware/request-id.ts";
import { services } from "../../src/middleware/services.ts";

/** workerd's clock moves in whole milliseconds: 500 requests per sample resolve 2 µs per request. */
const BATCH = 500;
const SAMPLES = 21;
const WARMUP_BATCHES = 3;

const fence = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

/** The Worker's env as a deployment would have it; the database is never reached by `GET /`. */
const benchEnv = (overrides: Record<string, string> = {}) => ({
  ...env,
  ENVIRONMENT: "test",
  LOG_LEVEL: "info",
  APP_URL: "http://localhost",
  DATABASE_URL: "postgres://bench:bench@127.0.0.1:9/bench",
  JWT_SECRET: "bench-secret-bench-secret-bench-secret-0123",
  RATE_LIMIT_ENABLED: "false",
  ...overrides,
});

const ctx = () => createExecutionContext();

type Fetch = (request: Request, env: unknown, ctx: ExecutionContext) => Response | Promise<Response>;

const bare = new Hono().get("/", (c) =>
  c.json({
    name: API_NAME,
    version,
    docs: { swagger_ui: "/api/docs", redoc: "/api/redoc", openapi: "/api/openapi.json" },
    health: "/health",
  }),
);

/** The product's global middleware in app.ts order, the first `n` of them, in front of the meta routes. */
const STACK = [
  ["request id", () => requestId()],
  ["services (config, logger, db)", () => services()],
  ["access log + metrics", () => accessLog()],
  ["CORS", () => cors()],
  ["secure headers", () => secureHeaders({ overwrite: false, removePoweredBy: false })],
  ["body limit", () => bodyLimit()],
  ["rate limit (off)", () => rateLimit()],
] as const;

function partial(n: number) {
  const app = createRouter();
  for (const [, make] of STACK.slice(0, n)) app.use(make());
  app.route("/", metaRouter);
  return app;
}

async function batch(fetch: Fetch, workerEnv: unknown): Promise<number> {
  await fence();
  const start = performance.now();
  for (let i = 0; i < BATCH; i++) {
    const res = await fetch(new Request("http://localhost/"), workerEnv, ctx());
    await res.arrayBuffer();
    if (res.status !== 200)
      throw new Error(`GET / answered ${res.status}: the sample would measure an error path`);
  }
  await fence();
  return ((performance.now() - start) * 1000) / BATCH;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
};

it(
  "middleware floor: GET / against a bare Hono route",
  async () => {
    vi.spyOn(console, "log").mockImplementation(() => {});
    const off = benchEnv();
    // A limit no sample reaches: what is measured is deciding, not refusing.
    const on = benchEnv({ RATE_LIMIT_ENABLED: "true", RATE_LIMIT_IP_PER_MINUTE: "1000000000" });
    const variants: [string, Fetch, unknown][] = [
      ["bare Hono GET /", bare.fetch, off],
      ...STACK.map((_, i) => [`+ ${STACK[i]?.[0]}`, partial(i + 1).fetch, off] as [string, Fetch, unknown]),
      ["product GET / (limits off)", worker.fetch as Fetch, off],
      ["product GET / (limits on, memory)", worker.fetch as Fetch, on],
    ];
    for (const [name, fetch, e] of variants) {
      const res = await fetch(new Request("http://localhost/"), e, ctx());
      expect(res.status, name).toBe(200);
      for (let i = 0; i < WARMUP_BATCHES; i++) await batch(fetch, e);
    }
    const samples = variants.map(() => [] as number[]);
    for (let s = 0; s < SAMPLES; s++) {
      for (const [i, [, fetch, e]] of variants.entries()) samples[i]?.push(await batch(fetch, e));
    }
    const bareUs = median(samples[0] as number[]);
    const bareMin = Math.min(...(samples[0] as number[]));
    const rows = variants.map(([name], i) => {
      const us = median(samples[i] as number[]);
      const min = Math.min(...(samples[i] as number[]));
      return { name, us, ratio: bareUs / us, min, minRatio: bareMin / min };
    });
    vi.restoreAllMocks();
    const width = Math.max(...rows.map((r) => r.name.length));
    const cell = (n: number, w: number) => n.toFixed(w === 0 ? 0 : 2).padStart(10);
    console.log(
      [
        `median and fastest of ${SAMPLES} samples of ${BATCH} requests; ratio = bare time / variant time`,
        `${"variant".padEnd(width)}  µs median  ratio       µs min      ratio`,
        ...rows.map(
          (r) =>
            `${r.name.padEnd(width)}  ${cell(r.us, 0)}  ${cell(r.ratio, 2)}  ${cell(r.min, 0)}  ${cell(r.minRatio, 2)}`,
        ),
      ].join("\n"),
    );
  },
  10 * 60_000,
);
