/**
 * Calls the Worker in-process (inside workerd) with the test database and gateway wired in, and checks
 * every response against the served OpenAPI document.
 *
 * @example
 * const res = await api("POST", "/api/v1/auth/register", { json: { username, email, password } });
 * expect(res.status, res.dump).toBe(201);
 */
import { env as baseEnv, createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { inject } from "vitest";
import worker from "../../src/index.ts";
import { Contract } from "./contract.ts";
import { jobsQueue } from "./queue.ts";

export type TestEnv = Env & Record<string, unknown>;

/**
 * The Worker's env for tests: wrangler bindings + test vars + the throw-away database, and the jobs
 * queue as a recorder (see queue.ts: miniflare's own delivery cannot reach the test database).
 */
export const testEnv: TestEnv = {
  ...(baseEnv as TestEnv),
  DATABASE_URL: inject("databaseUrl"),
  LOCAL_DB_GATEWAY: inject("gatewayUrl"),
  JOBS_QUEUE: jobsQueue as unknown as Queue,
};

/** A copy of the test env with some values changed (config is parsed once per env object). */
export const envWith = (overrides: Record<string, unknown>): TestEnv =>
  ({ ...testEnv, ...overrides }) as TestEnv;

export interface CallOptions {
  json?: unknown;
  form?: Record<string, string>;
  body?: BodyInit;
  headers?: Record<string, string>;
  token?: string;
  env?: TestEnv;
  /** Cloudflare request properties (country, city, ...) as the edge would attach them. */
  cf?: Record<string, unknown>;
  /** Skip the contract check (only for deliberately broken protocol-level requests). */
  unchecked?: boolean;
}

export interface ApiResponse<T = any> {
  status: number;
  headers: Headers;
  body: T;
  text: string;
  /** The raw body (for binary responses such as images). */
  bytes: Uint8Array;
  /** Method, path, status and body, for assertion messages. */
  dump: string;
}

let contract: Promise<Contract> | undefined;
async function getContract(): Promise<Contract> {
  contract ??= (async () => {
    const res = await rawFetch("GET", "/api/openapi.json", {});
    if (res.status !== 200) throw new Error(`openapi.json answered ${res.status}: ${await res.text()}`);
    return new Contract(await res.json());
  })();
  return contract;
}

async function rawFetch(method: string, path: string, opts: CallOptions): Promise<Response> {
  const headers = new Headers(opts.headers);
  let body = opts.body;
  if (opts.json !== undefined) {
    body = JSON.stringify(opts.json);
    if (!headers.has("Content-Type")) headers.set("Content-Type", "application/json");
  } else if (opts.form) {
    body = new URLSearchParams(opts.form).toString();
    if (!headers.has("Content-Type")) headers.set("Content-Type", "application/x-www-form-urlencoded");
  }
  if (opts.token) headers.set("Authorization", `Bearer ${opts.token}`);
  const ctx = createExecutionContext();
  const res = await worker.fetch(
    new Request(`http://localhost${path}`, {
      method,
      headers,
      body,
      ...(opts.cf ? { cf: opts.cf } : {}),
    }) as Request<unknown, IncomingRequestCfProperties>,
    opts.env ?? testEnv,
    ctx,
  );
  await waitOnExecutionContext(ctx);
  return res;
}

/** Calls the Worker and checks the response against the OpenAPI document (throws on violations). */
export async function api<T = any>(
  method: string,
  path: string,
  opts: CallOptions = {},
): Promise<ApiResponse<T>> {
  const res = await rawFetch(method, path, opts);
  const bytes = new Uint8Array(await res.arrayBuffer());
  const text = new TextDecoder().decode(bytes);
  const contentType = res.headers.get("Content-Type") ?? "";
  let body: unknown = text;
  if (/json/.test(contentType) && text) body = JSON.parse(text);
  const dump = `${method} ${path} -> ${res.status} ${text.slice(0, 2000)}`;
  if (!opts.unchecked) {
    const env = opts.env ?? testEnv;
    const violations = (await getContract()).check(
      method,
      path,
      res.status,
      res.headers,
      text ? body : undefined,
      {
        rateLimited: env.RATE_LIMIT_ENABLED !== "false",
      },
    );
    if (violations.length)
      throw new Error(`Response breaks the OpenAPI contract:\n${violations.join("\n")}\n${dump}`);
  }
  return { status: res.status, headers: res.headers, body: body as T, text, bytes, dump };
}
