/**
 * Neon's "SQL over HTTP" protocol (`POST /sql`), as spoken by `neon()` / `drizzle-orm/neon-http`
 * from @neondatabase/serverless 1.2, served from a local PostgreSQL: the one the gateway was started
 * for. A connection string naming any other host:port is refused with 403 before anything connects.
 *
 * Wire format (from the driver source):
 * - headers: `Neon-Connection-String` (always), `Neon-Raw-Text-Output: true` and
 *   `Neon-Array-Mode: true` (always sent by the driver), and for batches only
 *   `Neon-Batch-Isolation-Level` / `Neon-Batch-Read-Only` / `Neon-Batch-Deferrable`;
 * - body: `{query, params}` or, for `sql.transaction([...])`, `{queries: [{query, params}, ...]}`;
 *   params were already turned into Postgres text by the driver (pg's prepareValue; bytea as `\x..`);
 * - answer: `{command, rowCount, rows, fields, rowAsArray}` (or `{results: [...]}` for a batch) with
 *   every value as PostgreSQL *text* output and NULL as null: the driver parses them by type OID;
 * - error: HTTP 400 with the Postgres error fields (`message`, `code`, ...), which the driver copies
 *   onto a NeonDbError; any other status becomes a generic "Server error" NeonDbError.
 */

import type { FieldDef, Pool, PoolClient, QueryArrayConfig, QueryArrayResult } from "pg";
import pg from "pg";
import { type Counters, identityFromConnectionString } from "./counters.ts";
import { connectionStringAddress, type PostgresAddress } from "./guard.ts";

export interface HttpAnswer {
  status: number;
  json: unknown;
}

interface SqlQuery {
  query: string;
  params: unknown[];
}

/** Every type parsed as the identity function: pg hands back the server's text output untouched. */
const RAW_TEXT = { getTypeParser: () => (value: string) => value } as unknown as QueryArrayConfig["types"];

/** Header values the driver sends (its `isolationLevel` option) mapped to SQL. */
const ISOLATION_LEVELS: Record<string, string> = {
  ReadUncommitted: "READ UNCOMMITTED",
  ReadCommitted: "READ COMMITTED",
  RepeatableRead: "REPEATABLE READ",
  Serializable: "SERIALIZABLE",
};

/** Fields of pg's DatabaseError that Neon forwards and the driver copies onto NeonDbError. */
const ERROR_FIELDS = [
  "severity",
  "code",
  "detail",
  "hint",
  "position",
  "internalPosition",
  "internalQuery",
  "where",
  "schema",
  "table",
  "column",
  "dataType",
  "constraint",
  "file",
  "line",
  "routine",
] as const;

/** Pools kept open at most (beyond it, idle ones are closed, least recently used first). */
const MAX_POOLS = 16;

class BadRequest extends Error {}
class Forbidden extends Error {}

export class NeonHttpHandler {
  /** One pool per connection string, like Neon's proxy: an HTTP query never pays for a new connection. */
  private readonly pools = new Map<string, Pool>();

  /** `postgres`: the only address queries may go to; none at all when undefined. */
  constructor(
    private readonly counters: Counters,
    private readonly log: (line: string) => void,
    private readonly postgres: PostgresAddress | undefined,
  ) {}

  async handle(headers: Record<string, string | string[] | undefined>, body: Buffer): Promise<HttpAnswer> {
    try {
      const connectionString = header(headers, "neon-connection-string");
      if (!connectionString) throw new BadRequest("missing Neon-Connection-String header");
      const identity = identityFromConnectionString(connectionString);
      if (!identity?.user || !identity.database) {
        throw new BadRequest("Neon-Connection-String is not a postgres:// URL with user, host and database");
      }
      const address = connectionStringAddress(connectionString);
      if (typeof address !== "string") throw new Forbidden(address.refused);
      if (address !== this.postgres) {
        this.log(`neon-http: refused a query for ${address}`);
        throw new Forbidden(
          this.postgres
            ? `this gateway only reaches PostgreSQL at ${this.postgres}, not ${address}`
            : "this gateway was started without a PostgreSQL address",
        );
      }
      const request = parseBody(body);
      const arrayMode = header(headers, "neon-array-mode") === "true";
      const rawText = header(headers, "neon-raw-text-output") === "true";
      // Validate the batch options before counting or touching the database.
      const begin = "queries" in request ? beginStatement(headers) : undefined;
      this.counters.countSqlRequest(identity);
      const pool = this.pool(connectionString);
      if ("queries" in request) {
        const results = await runBatch(pool, request.queries, begin ?? "BEGIN");
        return { status: 200, json: { results: results.map((r) => toNeonResult(r, arrayMode, rawText)) } };
      }
      return { status: 200, json: toNeonResult(await runQuery(pool, request), arrayMode, rawText) };
    } catch (error) {
      return errorAnswer(error);
    }
  }

  async close(): Promise<void> {
    const pools = [...this.pools.values()];
    this.pools.clear();
    await Promise.allSettled(pools.map((p) => p.end()));
  }

  private pool(connectionString: string): Pool {
    let pool = this.pools.get(connectionString);
    if (pool) {
      // Map order doubles as least-recently-used order.
      this.pools.delete(connectionString);
    } else {
      pool = new pg.Pool({ connectionString: localConnectionString(connectionString), max: 10 });
      // An idle client dying (Postgres restarted) must not crash the gateway.
      pool.on("error", (error) => this.log(`neon-http: idle Postgres client error: ${error.message}`));
      this.evictIdlePools();
    }
    this.pools.set(connectionString, pool);
    return pool;
  }

  /**
   * Tests make a connection string per test (unique application_name), so pools pile up; each holds
   * idle connections for a while. Past MAX_POOLS, close the least recently used pools that have no
   * connection checked out, to stay well under Postgres' max_connections.
   */
  private evictIdlePools(): void {
    for (const [key, pool] of this.pools) {
      if (this.pools.size < MAX_POOLS) return;
      if (pool.totalCount === pool.idleCount && pool.waitingCount === 0) {
        this.pools.delete(key);
        pool.end().catch(() => {});
      }
    }
  }
}

function header(headers: Record<string, string | string[] | undefined>, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function parseBody(body: Buffer): SqlQuery | { queries: SqlQuery[] } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString("utf8"));
  } catch {
    throw new BadRequest("request body is not valid JSON");
  }
  if (typeof parsed !== "object" || parsed === null)
    throw new BadRequest("request body must be a JSON object");
  if ("queries" in parsed) {
    const { queries } = parsed as { queries: unknown };
    if (!Array.isArray(queries)) throw new BadRequest("`queries` must be an array");
    return { queries: queries.map(parseQuery) };
  }
  return parseQuery(parsed);
}

function parseQuery(value: unknown): SqlQuery {
  const { query, params = [] } = (typeof value === "object" && value !== null ? value : {}) as {
    query?: unknown;
    params?: unknown;
  };
  if (typeof query !== "string") throw new BadRequest("`query` must be a string");
  if (!Array.isArray(params)) throw new BadRequest("`params` must be an array");
  return { query, params };
}

/** BEGIN with the batch options the driver sends as headers (Neon applies them the same way). */
function beginStatement(headers: Record<string, string | string[] | undefined>): string {
  const parts: string[] = [];
  const isolation = header(headers, "neon-batch-isolation-level");
  if (isolation !== undefined) {
    const level = ISOLATION_LEVELS[isolation];
    if (!level) throw new BadRequest(`invalid Neon-Batch-Isolation-Level: ${isolation}`);
    parts.push(`ISOLATION LEVEL ${level}`);
  }
  const readOnly = booleanHeader(headers, "neon-batch-read-only");
  if (readOnly !== undefined) parts.push(readOnly ? "READ ONLY" : "READ WRITE");
  const deferrable = booleanHeader(headers, "neon-batch-deferrable");
  if (deferrable !== undefined) parts.push(deferrable ? "DEFERRABLE" : "NOT DEFERRABLE");
  return parts.length ? `BEGIN ${parts.join(", ")}` : "BEGIN";
}

function booleanHeader(headers: Record<string, string | string[] | undefined>, name: string) {
  const value = header(headers, name);
  if (value === undefined) return undefined;
  if (value !== "true" && value !== "false") throw new BadRequest(`invalid ${name}: ${value}`);
  return value === "true";
}

/**
 * Neon's proxy speaks TLS to the client and talks to Postgres itself, so `sslmode` in the caller's
 * string is about the hop to Neon, not to the database: drop it for the local Postgres (no TLS).
 */
function localConnectionString(connectionString: string): string {
  const [base, query] = connectionString.split("?", 2) as [string, string | undefined];
  if (!query) return connectionString;
  const params = new URLSearchParams(query);
  params.delete("sslmode");
  params.delete("channel_binding");
  const rest = params.toString();
  return rest ? `${base}?${rest}` : base;
}

function runQuery(client: Pool | PoolClient, q: SqlQuery): Promise<QueryArrayResult> {
  // Extended protocol even without params (as Neon does): one statement per query, no multi-statements.
  const config = {
    text: q.query,
    values: q.params,
    rowMode: "array",
    types: RAW_TEXT,
    queryMode: "extended",
  };
  return client.query(config as QueryArrayConfig);
}

/** A batch is one transaction: any failing statement rolls back the whole batch. */
async function runBatch(pool: Pool, queries: SqlQuery[], begin: string): Promise<QueryArrayResult[]> {
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    await client.query(begin);
    try {
      const results: QueryArrayResult[] = [];
      for (const q of queries) results.push(await runQuery(client, q));
      await client.query("COMMIT");
      return results;
    } catch (error) {
      await client.query("ROLLBACK").catch((rollbackError: Error) => {
        broken = rollbackError;
      });
      throw error;
    }
  } finally {
    // A connection whose ROLLBACK failed is in an unknown state: destroy it rather than reuse it.
    client.release(broken);
  }
}

function toNeonResult(result: QueryArrayResult, arrayMode: boolean, rawText: boolean) {
  const fields = result.fields.map((f: FieldDef) => ({
    name: f.name,
    dataTypeID: f.dataTypeID,
    tableID: f.tableID,
    columnID: f.columnID,
    dataTypeSize: f.dataTypeSize,
    dataTypeModifier: f.dataTypeModifier,
    format: f.format,
  }));
  const rows = result.rows.map((row: unknown[]) => {
    const values = rawText ? row : row.map((v, i) => textToJson(v as string | null, fields[i]?.dataTypeID));
    return arrayMode ? values : Object.fromEntries(fields.map((f, i) => [f.name, values[i]]));
  });
  return { command: result.command, rowCount: result.rowCount, rows, fields, rowAsArray: arrayMode };
}

/**
 * Without `Neon-Raw-Text-Output` Neon converts a few scalar types to JSON (the driver always asks for
 * raw text, so this only serves hand-written clients); other types, arrays included, stay text here.
 */
function textToJson(value: string | null, oid: number | undefined): unknown {
  if (value === null) return null;
  switch (oid) {
    case 16: // bool
      return value === "t";
    case 21: // int2
    case 23: // int4
    case 700: // float4
    case 701: {
      // float8
      const n = Number(value);
      return Number.isFinite(n) ? n : value;
    }
    case 114: // json
    case 3802: // jsonb
      return JSON.parse(value);
    default:
      return value;
  }
}

function errorAnswer(error: unknown): HttpAnswer {
  if (error instanceof BadRequest) return { status: 400, json: { message: error.message } };
  if (error instanceof Forbidden) return { status: 403, json: { message: error.message } };
  if (error instanceof pg.DatabaseError) {
    // Postgres said no (syntax, constraint, auth, ...): 400 with every field, like Neon.
    const json: Record<string, unknown> = { message: error.message };
    for (const field of ERROR_FIELDS) if (error[field] !== undefined) json[field] = error[field];
    return { status: 400, json };
  }
  // Postgres unreachable or the like: not the query's fault, so not a 400.
  const message = error instanceof Error ? error.message : String(error);
  return { status: 502, json: { message: `Couldn't connect to database: ${message}` } };
}
