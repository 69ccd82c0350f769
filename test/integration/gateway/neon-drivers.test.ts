/**
 * The Worker's database drivers, inside workerd, against the local gateway: `drizzle-orm/neon-http`
 * (Neon SQL-over-HTTP) and `drizzle-orm/neon-serverless` (Pool over the WebSocket proxy) must read and
 * write the same JS values they would against Neon.
 */
import { NeonDbError, neon, Pool } from "@neondatabase/serverless";
import { asc, eq } from "drizzle-orm";
import { drizzle as drizzleHttp } from "drizzle-orm/neon-http";
import { drizzle as drizzleWs } from "drizzle-orm/neon-serverless";
import {
  bigint,
  boolean,
  integer,
  jsonb,
  numeric,
  pgEnum,
  pgTable,
  text,
  timestamp,
  uuid,
  varchar,
} from "drizzle-orm/pg-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { configureNeon } from "../../../src/db/client.ts";
import { EXPECTED_ROWS, type FidelityTable, fidelityTable, rejection } from "./fidelity-fixture.ts";

const databaseUrl = inject("databaseUrl");
const gatewayUrl = inject("gatewayUrl");

configureNeon(gatewayUrl);

function tableSchema(t: FidelityTable) {
  const mood = pgEnum(t.mood, ["happy", "sad", "in between"]);
  return pgTable(t.table, {
    id: uuid().primaryKey(),
    seq: integer().notNull(),
    label: text(),
    code: varchar({ length: 50 }),
    active: boolean(),
    big: bigint({ mode: "bigint" }),
    amount: numeric({ precision: 12, scale: 2 }),
    created: timestamp({ withTimezone: true }),
    meta: jsonb(),
    tags: text().array(),
    mood: mood(),
  });
}

/** What drizzle's column mappers make of the fixture rows (int8 as bigint in this schema). */
const EXPECTED_DRIZZLE = EXPECTED_ROWS.map((row) => ({
  ...row,
  big: row.big === null ? null : BigInt(row.big),
}));

/** The fixture's own rows (seq 1-3): other tests in this file add rows with higher seq. */
const fixtureRows = <R extends Record<string, any>>(rows: R[]) => rows.filter((r) => Number(r.seq) <= 3);

/**
 * Constructing a drizzle-orm/neon-http database (as this file does) makes the neon driver return
 * timestamptz as Postgres' text output for the whole isolate (drizzle's `initMappers()` calls
 * `types.setTypeParser`). For the raw-driver checks, compare that text as an instant.
 */
function withDates<R extends Record<string, any>>(rows: R[]): R[] {
  return rows.map((r) => {
    if (typeof r.created !== "string") return r;
    expect(r.created).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d+)?[+-]\d\d(:\d\d)?$/);
    return { ...r, created: new Date(r.created) };
  });
}

/** SQLSTATE of a driver error, through drizzle's DrizzleQueryError wrapper when present. */
const sqlState = (error: any): string | undefined => error?.code ?? error?.cause?.code;

/**
 * A fresh Pool per test: workerd forbids using one request's I/O objects (the WebSocket) from
 * another, so a Pool shared between tests would fail for reasons unrelated to the gateway.
 */
async function withPool<T>(fn: (pool: Pool) => Promise<T>): Promise<T> {
  const pool = new Pool({ connectionString: databaseUrl, max: 2 });
  // workerd fires "Network connection lost" on a client WebSocket *after* a clean close initiated by
  // the server (any server; Neon's proxy closes once Postgres hangs up after Terminate). pg turns it
  // into an 'error' on the idle client, which the Pool re-emits: without a listener, an uncaught error.
  pool.on("error", () => {});
  try {
    return await fn(pool);
  } finally {
    await pool.end();
  }
}

const sql = neon(databaseUrl);
let t: FidelityTable;
let table: ReturnType<typeof tableSchema>;

beforeAll(async () => {
  t = fidelityTable();
  table = tableSchema(t);
  // One batch = one transaction: the table appears complete or not at all.
  await sql.transaction(t.setup.map((statement) => sql.query(statement)));
});

afterAll(async () => {
  await sql.transaction(t.teardown.map((statement) => sql.query(statement)));
});

describe("gateway in workerd: raw @neondatabase/serverless", () => {
  it("neon() over HTTP reads every column type as pg would", async () => {
    const rows = await sql.query(t.select);
    expect(withDates(fixtureRows(rows))).toStrictEqual(EXPECTED_ROWS);
  });

  it("the WebSocket Pool reads every column type as pg would", async () => {
    const rows = await withPool(async (pool) => (await pool.query(t.select)).rows);
    expect(withDates(fixtureRows(rows))).toStrictEqual(EXPECTED_ROWS);
  });
});

describe("gateway in workerd: drizzle-orm/neon-http", () => {
  const db = drizzleHttp({ client: sql });

  it("selects the fixture rows with drizzle's column mapping", async () => {
    const rows = await db.select().from(table).orderBy(asc(table.seq));
    expect(fixtureRows(rows)).toStrictEqual(EXPECTED_DRIZZLE);
  });

  it("writes parameters and reads them back unchanged", async () => {
    const row = {
      id: crypto.randomUUID(),
      seq: 100,
      label: 'it\'s "quoted" \\ ünï 🎉',
      code: "Z-9",
      active: true,
      big: 9223372036854775807n,
      amount: "9999999999.99",
      created: new Date("2031-02-03T04:05:06.789Z"),
      meta: { nested: [1, { deep: null }], s: "ü" },
      tags: ["p", "q,r", ""],
      mood: "sad" as const,
    };
    const [inserted] = await db.insert(table).values(row).returning();
    expect(inserted).toStrictEqual(row);
    const viaWs = await withPool((pool) =>
      drizzleWs({ client: pool }).select().from(table).where(eq(table.id, row.id)),
    );
    expect(viaWs).toStrictEqual([row]);
  });

  it("a batch is one transaction: a failing statement rolls back the earlier ones", async () => {
    const id = crypto.randomUUID();
    const error = await rejection(() =>
      db.batch([
        db.insert(table).values({ id, seq: 200 }),
        db.insert(table).values({ id: EXPECTED_ROWS[0]?.id as string, seq: 201 }), // duplicate key
      ]),
    );
    expect(sqlState(error)).toBe("23505");
    expect(await db.select().from(table).where(eq(table.id, id))).toEqual([]);
  });

  it("a unique violation reaches the caller with SQLSTATE 23505", async () => {
    const error = await rejection(() =>
      db.insert(table).values({ id: EXPECTED_ROWS[1]?.id as string, seq: 300 }),
    );
    expect(sqlState(error)).toBe("23505");
    expect(error.cause).toBeInstanceOf(NeonDbError);
  });
});

describe("gateway in workerd: drizzle-orm/neon-serverless", () => {
  it("selects the fixture rows with drizzle's column mapping", async () => {
    const rows = await withPool((pool) =>
      drizzleWs({ client: pool }).select().from(table).orderBy(asc(table.seq)),
    );
    expect(fixtureRows(rows)).toStrictEqual(EXPECTED_DRIZZLE);
  });

  it("an interactive transaction commits", async () => {
    const id = crypto.randomUUID();
    await withPool(async (pool) => {
      const db = drizzleWs({ client: pool });
      const seen = await db.transaction(async (tx) => {
        await tx.insert(table).values({ id, seq: 400, label: "draft" });
        await tx.update(table).set({ label: "final" }).where(eq(table.id, id));
        return tx.select({ label: table.label }).from(table).where(eq(table.id, id));
      });
      expect(seen).toEqual([{ label: "final" }]);
    });
    expect(await sql.query(`select label from ${t.table} where id = $1`, [id])).toEqual([{ label: "final" }]);
  });

  it("an interactive transaction that throws rolls back", async () => {
    const id = crypto.randomUUID();
    await withPool(async (pool) => {
      const db = drizzleWs({ client: pool });
      await expect(
        db.transaction(async (tx) => {
          await tx.insert(table).values({ id, seq: 500 });
          // Visible inside the transaction ...
          expect(await tx.select().from(table).where(eq(table.id, id))).toHaveLength(1);
          throw new Error("abort on purpose");
        }),
      ).rejects.toThrow("abort on purpose");
      // ... and gone after it, on the same pool.
      expect(await db.select().from(table).where(eq(table.id, id))).toEqual([]);
    });
    expect(await sql.query(`select 1 from ${t.table} where id = $1`, [id])).toEqual([]);
  });

  it("tx.rollback() and a failing statement both roll back", async () => {
    const a = crypto.randomUUID();
    const b = crypto.randomUUID();
    await withPool(async (pool) => {
      const db = drizzleWs({ client: pool });
      await expect(
        db.transaction(async (tx) => {
          await tx.insert(table).values({ id: a, seq: 600 });
          tx.rollback();
        }),
      ).rejects.toThrow(/Rollback/);
      const error = await rejection(() =>
        db.transaction(async (tx) => {
          await tx.insert(table).values({ id: b, seq: 601 });
          await tx.insert(table).values({ id: EXPECTED_ROWS[2]?.id as string, seq: 602 });
        }),
      );
      expect(sqlState(error)).toBe("23505");
    });
    expect(await sql.query(`select id from ${t.table} where id = any($1::uuid[])`, [[a, b]])).toEqual([]);
  });
});
