/**
 * Database clients over Neon's serverless driver, the same code locally and in production.
 *
 * - `getDb(config)`: drizzle over `neon-http`, one HTTP round trip per query and `db.batch()` for
 *   atomic multi-statement writes. The request path uses this.
 * - `withTransaction(config, ctx, fn)`: drizzle over a WebSocket `Pool`, only where an interactive
 *   transaction is unavoidable; the pool lives for one request and is closed with `waitUntil`.
 *
 * Locally (`LOCAL_DB_GATEWAY`), both drivers are pointed at the gateway in scripts/local, which speaks
 * Neon's HTTP and WebSocket protocols over a real PostgreSQL.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { neon, neonConfig, Pool } from "@neondatabase/serverless";
import { drizzle as drizzleHttp, type NeonHttpDatabase } from "drizzle-orm/neon-http";
import { drizzle as drizzleWs, type NeonDatabase } from "drizzle-orm/neon-serverless";
import type { Config } from "../env.ts";
import * as schema from "./schema/index.ts";

export type Db = NeonHttpDatabase<typeof schema>;
export type TxDb = NeonDatabase<typeof schema>;

/** Round trips of the request being served (see `countingRoundTrips`). */
const roundTrips = new AsyncLocalStorage<{ count: number }>();

// Every HTTP query of the request-path driver goes through this fetch, so it can be counted per
// request without a client per request.
neonConfig.fetchFunction = (input: RequestInfo | URL, init?: RequestInit) => {
  const counter = roundTrips.getStore();
  if (counter) counter.count++;
  return fetch(input, init);
};

/**
 * Runs `fn` while counting its database round trips (HTTP queries and WebSocket sessions).
 *
 * @example
 * const { result, roundTrips } = await countingRoundTrips(() => next());
 */
export async function countingRoundTrips<T>(
  fn: () => Promise<T>,
): Promise<{ result: T; roundTrips: number }> {
  const counter = { count: 0 };
  const result = await roundTrips.run(counter, fn);
  return { result, roundTrips: counter.count };
}

let gatewayConfigured: string | undefined;

/**
 * Points Neon's (isolate-global) endpoints at the local gateway when one is configured. Exported so
 * tests that drive the Neon drivers directly wire them exactly as the Worker does.
 */
export function configureNeon(gateway: string | undefined): void {
  if (!gateway || gatewayConfigured === gateway) return;
  const { host } = new URL(gateway);
  neonConfig.fetchEndpoint = () => `${gateway.replace(/\/$/, "")}/sql`;
  neonConfig.wsProxy = (h, p) => `${host}/v2?address=${h}:${p}`;
  neonConfig.useSecureWebSocket = false;
  neonConfig.pipelineConnect = false;
  gatewayConfigured = gateway;
}

const httpClients = new WeakMap<Config, Db>();

/** The request-path client (neon-http), built once per config. */
export function getDb(config: Config): Db {
  let db = httpClients.get(config);
  if (!db) {
    configureNeon(config.LOCAL_DB_GATEWAY);
    db = drizzleHttp({ client: neon(config.DATABASE_URL), schema });
    httpClients.set(config, db);
  }
  return db;
}

/**
 * Runs `fn` in an interactive transaction over a WebSocket pool that exists for this call only.
 *
 * @example
 * await withTransaction(config, c.executionCtx, (tx) => tx.update(users).set(...).where(...));
 */
export async function withTransaction<T>(
  config: Config,
  ctx: Pick<ExecutionContext, "waitUntil">,
  fn: (tx: Parameters<Parameters<TxDb["transaction"]>[0]>[0]) => Promise<T>,
): Promise<T> {
  configureNeon(config.LOCAL_DB_GATEWAY);
  const counter = roundTrips.getStore();
  if (counter) counter.count++;
  const pool = new Pool({ connectionString: config.DATABASE_URL });
  // When the server closes the WebSocket after Terminate, workerd reports "Network connection lost"
  // on the idle client; pg re-emits it on the pool, where an unheard 'error' would be uncaught.
  pool.on("error", () => {});
  try {
    return await drizzleWs({ client: pool, schema }).transaction(fn);
  } finally {
    ctx.waitUntil(pool.end());
  }
}
