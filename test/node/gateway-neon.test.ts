/**
 * Fidelity of the local gateway's Neon protocols (scripts/local/gateway): what the production driver
 * (@neondatabase/serverless) reads through the gateway must equal what plain `pg` reads directly.
 */
import { randomUUID } from "node:crypto";
import { NeonDbError, Pool as NeonPool, neon, neonConfig } from "@neondatabase/serverless";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, inject, it, vi } from "vitest";
import ws from "ws";
import { startGateway } from "../../scripts/local/gateway.ts";
import { freePort } from "../../scripts/local/ports.ts";
import { configureNeon } from "../../src/db/client.ts";
import {
  EXPECTED_ROWS,
  type FidelityTable,
  fidelityTable,
  rejection,
} from "../integration/gateway/fidelity-fixture.ts";

const databaseUrl = inject("databaseUrl");
const gatewayUrl = inject("gatewayUrl");

// Node has no global WebSocket; workerd does.
neonConfig.webSocketConstructor = ws;
configureNeon(gatewayUrl);

/** A connection string no other test uses, so the gateway's counters for it are ours alone. */
const uniqueUrl = () => `${databaseUrl}?application_name=rt_${randomUUID()}`;

async function stats(connectionString: string): Promise<{ sql_requests: number; ws_connections: number }> {
  const res = await fetch(
    `${gatewayUrl}/__gateway/stats?connection_string=${encodeURIComponent(connectionString)}`,
    { headers: { Authorization: `Bearer ${inject("gatewayControlToken")}` } },
  );
  expect(res.status).toBe(200);
  return (await res.json()) as { sql_requests: number; ws_connections: number };
}

const direct = new pg.Pool({ connectionString: databaseUrl, max: 2 });
const wsPool = new NeonPool({ connectionString: databaseUrl, max: 2 });
const sql = neon(databaseUrl);

afterAll(async () => {
  await Promise.all([direct.end(), wsPool.end()]);
});

describe("gateway: reading every column type", () => {
  let t: FidelityTable;

  beforeAll(async () => {
    t = fidelityTable();
    for (const statement of t.setup) await direct.query(statement);
  });
  afterAll(async () => {
    for (const statement of t.teardown) await direct.query(statement);
  });

  it("plain pg, neon() over HTTP and the WebSocket Pool read identical rows", async () => {
    const viaPg = (await direct.query(t.select)).rows;
    const viaHttp = await sql.query(t.select);
    const viaWs = (await wsPool.query(t.select)).rows;

    expect(viaPg).toStrictEqual(EXPECTED_ROWS);
    expect(viaHttp).toStrictEqual(viaPg);
    expect(viaWs).toStrictEqual(viaPg);
  });

  it("HTTP answers carry Postgres' field metadata and command tags", async () => {
    const res = await sql.query(t.select, [], { fullResults: true });
    const direct_ = await direct.query(t.select);
    expect(res.command).toBe("SELECT");
    expect(res.rowCount).toBe(3);
    expect(res.fields.map((f) => [f.name, f.dataTypeID])).toEqual(
      direct_.fields.map((f) => [f.name, f.dataTypeID]),
    );
    expect(res.fields.find((f) => f.name === "big")?.dataTypeID).toBe(20);

    const update = await sql.query(`update ${t.table} set label = label where seq < 3`, [], {
      fullResults: true,
    });
    expect(update.command).toBe("UPDATE");
    expect(update.rowCount).toBe(2);
  });

  it("array mode returns rows as arrays in column order", async () => {
    const rows = await sql.query(`select seq, label from ${t.table} order by seq`, [], { arrayMode: true });
    expect(rows).toStrictEqual([
      [1, "hello"],
      [2, EXPECTED_ROWS[1]?.label],
      [3, null],
    ]);
  });
});

describe("gateway: parameters", () => {
  const query =
    "select $1::text as text, $2::int4 as int, $3::text as nothing, $4::int4[] as ints, $5::jsonb as json, " +
    "$6::boolean as bool, $7::timestamptz as at, $8::text[] as texts, $9::numeric as num, $10::int8 as big";
  const at = new Date("2030-01-02T03:04:05.678Z");
  const params = [
    `it's "quoted" \\ ünï 🎉`,
    -7,
    null,
    [1, 2, 3],
    { k: [1, { z: null }], s: "ü" },
    true,
    at,
    ["a", "b,c", null, '"q"'],
    "12345678901234567890.123",
    "9223372036854775807",
  ];
  const expected = {
    text: `it's "quoted" \\ ünï 🎉`,
    int: -7,
    nothing: null,
    ints: [1, 2, 3],
    json: { k: [1, { z: null }], s: "ü" },
    bool: true,
    at,
    texts: ["a", "b,c", null, '"q"'],
    num: "12345678901234567890.123",
    big: "9223372036854775807",
  };

  it("round-trip identically through pg, HTTP and WebSocket", async () => {
    const viaPg = (await direct.query(query, params)).rows;
    const viaHttp = await sql.query(query, params);
    const viaWs = (await wsPool.query(query, params)).rows;
    expect(viaPg).toStrictEqual([expected]);
    expect(viaHttp).toStrictEqual([expected]);
    expect(viaWs).toStrictEqual([expected]);
  });

  it("tagged-template queries bind values as parameters, not text", async () => {
    const hostile = "'; drop table nothing; --";
    expect(await sql`select ${hostile}::text as v, ${null}::int as n`).toStrictEqual([
      { v: hostile, n: null },
    ]);
  });
});

describe("gateway: batches are transactions", () => {
  let table: string;

  beforeAll(async () => {
    table = `gw_batch_${randomUUID().replaceAll("-", "").slice(0, 12)}`;
    await direct.query(`create table ${table} (id int primary key, note text)`);
  });
  afterAll(async () => {
    await direct.query(`drop table if exists ${table}`);
  });

  it("a successful batch commits every statement and answers one result per statement", async () => {
    const results = await sql.transaction([
      sql`insert into ${sql.unsafe(table)} values (1, 'one') returning id`,
      sql`insert into ${sql.unsafe(table)} values (2, 'two') returning id`,
      sql`select count(*)::int as n from ${sql.unsafe(table)}`,
    ]);
    expect(results).toStrictEqual([[{ id: 1 }], [{ id: 2 }], [{ n: 2 }]]);
    expect((await direct.query(`select id from ${table} order by id`)).rows).toEqual([{ id: 1 }, { id: 2 }]);
  });

  it("a failing later statement rolls back the earlier ones", async () => {
    const error = await rejection(() =>
      sql.transaction([
        sql`insert into ${sql.unsafe(table)} values (10, 'kept?')`,
        sql`insert into ${sql.unsafe(table)} values (11, 'kept?')`,
        sql`insert into ${sql.unsafe(table)} values (1, 'duplicate of an existing row')`,
      ]),
    );
    expect(error).toBeInstanceOf(NeonDbError);
    expect(error.code).toBe("23505");
    const { rows } = await direct.query(`select id from ${table} where id >= 10`);
    expect(rows).toEqual([]);
  });

  it("honours the isolation level, read-only and deferrable options", async () => {
    const show = () => [
      sql`show transaction_isolation`,
      sql`show transaction_read_only`,
      sql`show transaction_deferrable`,
    ];
    const defaults = await sql.transaction(show());
    expect(defaults).toStrictEqual([
      [{ transaction_isolation: "read committed" }],
      [{ transaction_read_only: "off" }],
      [{ transaction_deferrable: "off" }],
    ]);
    const strict = await sql.transaction(show(), {
      isolationLevel: "Serializable",
      readOnly: true,
      deferrable: true,
    });
    expect(strict).toStrictEqual([
      [{ transaction_isolation: "serializable" }],
      [{ transaction_read_only: "on" }],
      [{ transaction_deferrable: "on" }],
    ]);
    const repeatable = await sql.transaction([sql`show transaction_isolation`], {
      isolationLevel: "RepeatableRead",
    });
    expect(repeatable).toStrictEqual([[{ transaction_isolation: "repeatable read" }]]);
  });

  it("a read-only batch cannot write", async () => {
    const error = await rejection(() =>
      sql.transaction([sql`insert into ${sql.unsafe(table)} values (20, 'no')`], { readOnly: true }),
    );
    expect(error.code).toBe("25006"); // read_only_sql_transaction
    expect((await direct.query(`select 1 from ${table} where id = 20`)).rowCount).toBe(0);
  });
});

describe("gateway: errors", () => {
  let table: string;

  beforeAll(async () => {
    table = `gw_err_${randomUUID().replaceAll("-", "").slice(0, 12)}`;
    await direct.query(`create table ${table} (email text constraint ${table}_email_key unique)`);
  });
  afterAll(async () => {
    await direct.query(`drop table if exists ${table}`);
  });

  it("a unique violation surfaces as NeonDbError with SQLSTATE 23505 and its details", async () => {
    await sql.query(`insert into ${table} values ($1)`, ["a@example.com"]);
    const error = await rejection(() => sql.query(`insert into ${table} values ($1)`, ["a@example.com"]));
    expect(error).toBeInstanceOf(NeonDbError);
    expect(error.code).toBe("23505");
    expect(error.constraint).toBe(`${table}_email_key`);
    expect(error.table).toBe(table);
    expect(error.severity).toBe("ERROR");
    expect(error.detail).toBe("Key (email)=(a@example.com) already exists.");
    expect(error.message).toContain("duplicate key value violates unique constraint");
  });

  it("the same violation through the WebSocket Pool carries the same code", async () => {
    await wsPool.query(`insert into ${table} values ($1)`, ["b@example.com"]);
    const error = await rejection(() => wsPool.query(`insert into ${table} values ($1)`, ["b@example.com"]));
    expect(error.code).toBe("23505");
    expect(error.constraint).toBe(`${table}_email_key`);
  });

  it("a syntax error carries its code and position", async () => {
    const error = await rejection(() => sql.query("select from where"));
    expect(error.code).toBe("42601");
    expect(error.position).toBe("13");
  });

  it("rejects several statements in one HTTP query, like Neon (extended protocol)", async () => {
    const error = await rejection(() => sql.query("select 1; select 2"));
    expect(error.code).toBe("42601");
    expect(error.message).toContain("cannot insert multiple commands into a prepared statement");
  });
});

describe("gateway: round-trip counters", () => {
  it("count exactly the HTTP requests and WebSocket connections made with one connection string", async () => {
    const url = uniqueUrl();
    const other = uniqueUrl();
    expect(await stats(url)).toEqual({ sql_requests: 0, ws_connections: 0 });

    const mine = neon(url);
    await mine`select 1`;
    await mine.query("select $1::int", [2]);
    await mine.transaction([mine`select 1`, mine`select 2`, mine`select 3`]); // one request
    expect(await stats(url)).toEqual({ sql_requests: 3, ws_connections: 0 });

    const pool = new NeonPool({ connectionString: url, max: 1 });
    try {
      await pool.query("select 1");
      await pool.query("select 2"); // same pooled connection
    } finally {
      await pool.end();
    }
    expect(await stats(url)).toEqual({ sql_requests: 3, ws_connections: 1 });
    expect(await stats(other)).toEqual({ sql_requests: 0, ws_connections: 0 });
  });

  it("keeps Postgres connections bounded when every request uses its own connection string", async () => {
    const tag = `rt_evict_${randomUUID().replaceAll("-", "").slice(0, 8)}`;
    const urls = Array.from({ length: 40 }, (_, i) => `${databaseUrl}?application_name=${tag}_${i}`);
    for (const url of urls) expect(await neon(url)`select 1 as one`).toEqual([{ one: 1 }]);
    const open = async () =>
      (
        await direct.query("select count(*)::int as n from pg_stat_activity where application_name like $1", [
          `${tag}%`,
        ])
      ).rows[0].n as number;
    await vi.waitFor(async () => expect(await open()).toBeLessThanOrEqual(16), { timeout: 3000 });
    // An evicted connection string still works (it just gets a new pool).
    expect(await neon(urls[0] as string)`select 2 as two`).toEqual([{ two: 2 }]);
  });

  it("answers zeros for a connection string it cannot parse", async () => {
    expect(await stats("not a url")).toEqual({ sql_requests: 0, ws_connections: 0 });
  });
});

describe("gateway: bad input", () => {
  const post = (body: string, headers: Record<string, string> = { "Neon-Connection-String": databaseUrl }) =>
    fetch(`${gatewayUrl}/sql`, { method: "POST", headers, body });

  it.each([
    ["malformed JSON", "{not json"],
    ["a non-object", "42"],
    ["a non-string query", JSON.stringify({ query: 5, params: [] })],
    ["non-array params", JSON.stringify({ query: "select 1", params: "x" })],
    ["non-array queries", JSON.stringify({ queries: "select 1" })],
  ])("answers 400 JSON to %s", async (_, body) => {
    const res = await post(body);
    expect(res.status).toBe(400);
    expect(res.headers.get("content-type")).toContain("application/json");
    expect(typeof ((await res.json()) as { message: unknown }).message).toBe("string");
  });

  it("answers 400 without a Neon-Connection-String header", async () => {
    const res = await post(JSON.stringify({ query: "select 1", params: [] }), {});
    expect(res.status).toBe(400);
    expect(((await res.json()) as { message: string }).message).toMatch(/Neon-Connection-String/);
  });

  it("answers 400 to an unknown isolation level", async () => {
    const res = await post(JSON.stringify({ queries: [{ query: "select 1", params: [] }] }), {
      "Neon-Connection-String": databaseUrl,
      "Neon-Batch-Isolation-Level": "Chaotic",
    });
    expect(res.status).toBe(400);
  });

  it("keeps serving after bad input", async () => {
    await post("{not json");
    const res = await post(JSON.stringify({ query: "select 40 + $1::int as n", params: ["2"] }), {
      "Neon-Connection-String": databaseUrl,
      "Neon-Array-Mode": "true",
      "Neon-Raw-Text-Output": "true",
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({
      command: "SELECT",
      rowCount: 1,
      rows: [["42"]],
      rowAsArray: true,
    });
  });

  it("answers 502 quickly when its Postgres is down", async () => {
    // A gateway of its own, fronting a dead port: the shared one refuses any other address.
    const dead = await startGateway({ port: await freePort(), postgres: "127.0.0.1:9" });
    try {
      const started = Date.now();
      const res = await fetch(`${dead.url}/sql`, {
        method: "POST",
        headers: { "Neon-Connection-String": "postgres://postgres:postgres@127.0.0.1:9/auth_api" },
        body: JSON.stringify({ query: "select 1", params: [] }),
      });
      expect(res.status).toBe(502);
      expect(((await res.json()) as { message: string }).message).toMatch(/Couldn't connect to database/);
      expect(Date.now() - started).toBeLessThan(2000);
    } finally {
      await dead.close();
    }
  });

  it("the driver reports a refused address as a NeonDbError, quickly", async () => {
    const error = await rejection(() => neon("postgres://postgres:postgres@127.0.0.1:9/auth_api")`select 1`);
    expect(error).toBeInstanceOf(NeonDbError);
    expect(error.message).toMatch(/HTTP status 403/);
  });

  it("refuses a WebSocket upgrade without a valid address", async () => {
    const status = await new Promise<number>((resolve, reject) => {
      const socket = new ws(`${gatewayUrl.replace("http:", "ws:")}/v2?address=nonsense`);
      socket.on("unexpected-response", (_req, res) => resolve(res.statusCode ?? 0));
      socket.on("open", () => reject(new Error("upgrade accepted")));
      socket.on("error", () => {});
    });
    expect(status).toBe(400);
  });
});
