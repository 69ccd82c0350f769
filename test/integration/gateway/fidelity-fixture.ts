/**
 * Shared by the gateway fidelity tests (Node: test/node/gateway-neon.test.ts; workerd:
 * neon-drivers.test.ts): a table covering the column types the API uses, filled with literal SQL
 * (so the rows do not depend on any driver's parameter encoding), and the JS values each read path
 * must produce. Plain module, no Node APIs: it runs in workerd too.
 */

export interface FidelityTable {
  table: string;
  mood: string;
  /** DDL + inserts, one statement each (the HTTP protocol takes one statement per query). */
  setup: string[];
  select: string;
  teardown: string[];
}

export const ROW_IDS = [
  "0b0e5f4e-3f61-4c1a-9a57-2f1f0c8a9d01",
  "0b0e5f4e-3f61-4c1a-9a57-2f1f0c8a9d02",
  "0b0e5f4e-3f61-4c1a-9a57-2f1f0c8a9d03",
] as const;

/** Unique names per call: tests run in parallel against one database. */
export function fidelityTable(): FidelityTable {
  const suffix = crypto.randomUUID().replaceAll("-", "").slice(0, 12);
  const table = `gw_fidelity_${suffix}`;
  const mood = `gw_mood_${suffix}`;
  return {
    table,
    mood,
    setup: [
      `create type ${mood} as enum ('happy', 'sad', 'in between')`,
      `create table ${table} (
        id uuid primary key,
        seq int4 not null,
        label text,
        code varchar(50),
        active boolean,
        big int8,
        amount numeric(12, 2),
        created timestamptz,
        meta jsonb,
        tags text[],
        mood ${mood}
      )`,
      `insert into ${table} values
        ('${ROW_IDS[0]}', 1, 'hello', 'AB-1', true, 9007199254740993, 1234.5, '2024-05-06T07:08:09.123Z',
         '{"a": 1, "nested": {"b": [1, "x", null]}, "s": "ü"}', array['a', 'b c', 'd"e', 'ünï'], 'happy'),
        ('${ROW_IDS[1]}', 2, 'multi' || chr(10) || 'line it''s "quoted" \\ 🎉', 'Ünïcödé', false, -42, -0.01,
         '1999-12-31T23:59:59.999+05:30', '[1, 2, {"k": "v"}]', array['x', null, ''], 'in between'),
        ('${ROW_IDS[2]}', 3, null, null, null, null, null, null, null, null, null)`,
    ],
    select: `select id, seq, label, code, active, big, amount, created, meta, tags, mood from ${table} order by seq`,
    teardown: [`drop table if exists ${table}`, `drop type if exists ${mood}`],
  };
}

/** What pg-types (used by `pg`, and bundled in @neondatabase/serverless) make of the rows. */
export const EXPECTED_ROWS = [
  {
    id: ROW_IDS[0],
    seq: 1,
    label: "hello",
    code: "AB-1",
    active: true,
    big: "9007199254740993", // int8 stays a string: no precision lost
    amount: "1234.50",
    created: new Date("2024-05-06T07:08:09.123Z"),
    meta: { a: 1, nested: { b: [1, "x", null] }, s: "ü" },
    tags: ["a", "b c", 'd"e', "ünï"],
    mood: "happy",
  },
  {
    id: ROW_IDS[1],
    seq: 2,
    label: 'multi\nline it\'s "quoted" \\ 🎉',
    code: "Ünïcödé",
    active: false,
    big: "-42",
    amount: "-0.01",
    created: new Date("1999-12-31T18:29:59.999Z"),
    meta: [1, 2, { k: "v" }],
    tags: ["x", null, ""],
    mood: "in between",
  },
  {
    id: ROW_IDS[2],
    seq: 3,
    label: null,
    code: null,
    active: null,
    big: null,
    amount: null,
    created: null,
    meta: null,
    tags: null,
    mood: null,
  },
];

/** Runs `fn`, expecting it to reject; returns the rejection. */
export async function rejection(fn: () => Promise<unknown>): Promise<any> {
  try {
    await fn();
  } catch (error) {
    return error;
  }
  throw new Error("expected a rejection");
}
