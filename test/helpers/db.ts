/**
 * Direct database access for assertions (through the same neon-http driver and gateway the Worker uses).
 */
import { neon } from "@neondatabase/serverless";
import { inject } from "vitest";
import { configureNeon } from "../../src/db/client.ts";
import { testEnv } from "./harness.ts";

/** Tagged-template SQL against the test database. */
export function sql(strings: TemplateStringsArray, ...params: unknown[]) {
  configureNeon(inject("gatewayUrl"));
  return neon(inject("databaseUrl"))(strings, ...params) as Promise<Record<string, any>[]>;
}

/**
 * Counts the database round trips `fn` makes: it gets an env whose DATABASE_URL is unique (a
 * distinct application_name), and the gateway counts requests per connection string.
 */
export async function countRoundTrips<T>(
  fn: (env: typeof testEnv) => Promise<T>,
): Promise<{ result: T; sqlRequests: number; wsConnections: number }> {
  const url = new URL(inject("databaseUrl"));
  url.searchParams.set("application_name", `rt_${crypto.randomUUID().replaceAll("-", "")}`);
  const env = { ...testEnv, DATABASE_URL: url.toString() };
  const result = await fn(env);
  const stats = await fetch(
    `${inject("gatewayUrl")}/__gateway/stats?connection_string=${encodeURIComponent(url.toString())}`,
    { headers: { Authorization: `Bearer ${inject("gatewayControlToken")}` } },
  );
  if (!stats.ok) throw new Error(`gateway refused the stats request: ${stats.status}`);
  const body = (await stats.json()) as { sql_requests: number; ws_connections: number };
  return { result, sqlRequests: body.sql_requests, wsConnections: body.ws_connections };
}
