import { sql as dsql, eq } from "drizzle-orm";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { getDb } from "../../../src/db/client.ts";
import { users } from "../../../src/db/schema/users.ts";
import { loadConfig } from "../../../src/env.ts";
import { describeError } from "../../../src/lib/error-log.ts";
import { sql } from "../../helpers/db.ts";
import { createUser, STRONG_PASSWORD, unique } from "../../helpers/factories.ts";
import { api, envWith, testEnv } from "../../helpers/harness.ts";

// Only usernames with this prefix hit the trigger, so other test files inserting users are unaffected.
const PREFIX = "logleak_";

beforeAll(async () => {
  // The RAISE puts the row's e-mail and password hash into DETAIL and HINT, where a careless log
  // line would pick them up, on top of drizzle's "Failed query ... params" message.
  await sql`create or replace function logleak_refuse() returns trigger language plpgsql as $$
    begin
      raise exception 'logleak: refused by test trigger'
        using detail = 'email ' || new.email, hint = new.password_hash;
    end $$`;
  await sql`drop trigger if exists logleak_refuse on users`;
  await sql`create trigger logleak_refuse before insert on users for each row
    when (new.username like 'logleak\\_%') execute function logleak_refuse()`;
});

afterAll(async () => {
  await sql`drop trigger if exists logleak_refuse on users`;
  await sql`drop function if exists logleak_refuse()`;
});

afterEach(() => {
  vi.restoreAllMocks();
});

/** Runs `fn` with console.error captured (and silenced); returns the lines written. */
async function captureErrors<T>(fn: () => Promise<T>): Promise<{ result: T; lines: string[] }> {
  const spy = vi.spyOn(console, "error").mockImplementation(() => {});
  const result = await fn();
  const lines = spy.mock.calls.map((call) => call.map(String).join(" "));
  spy.mockRestore();
  return { result, lines };
}

describe("a database error on register is logged without the query's values", () => {
  it("answers 500 internal_error and logs name and SQLSTATE, not the e-mail or the password hash", async () => {
    const username = `${PREFIX}${unique()}`;
    const email = `${username}@leak.example.com`;
    const env = envWith({ LOG_LEVEL: "error" });
    const { result: res, lines } = await captureErrors(() =>
      api("POST", "/api/v1/auth/register", { json: { username, email, password: STRONG_PASSWORD }, env }),
    );

    expect(res.status, res.dump).toBe(500);
    expect(res.body.code).toBe("internal_error");
    expect(res.body.detail).toBe("An unexpected error occurred.");
    for (const internal of [email, "logleak", "argon2id", "Failed query", "P0001"]) {
      expect(res.text).not.toContain(internal);
    }

    const logged = lines.filter((line) => line.includes('"unhandled error"'));
    expect(logged, lines.join("\n")).toHaveLength(1);
    const line = logged[0] as string;
    expect(JSON.parse(line).error).toEqual({
      name: "NeonDbError",
      code: "P0001",
      severity: "ERROR",
      message: "logleak: refused by test trigger",
    });
    for (const secret of [email, "leak.example.com", STRONG_PASSWORD, "argon2id", "params", "Failed query"]) {
      expect(line).not.toContain(secret);
    }
    expect(line).not.toMatch(/insert into/i);
    // Nothing else written during the request carries them either.
    expect(lines.join("\n")).not.toContain(email);
  });
});

describe("describeError on real driver errors", () => {
  const db = () => getDb(loadConfig(testEnv));
  const failure = async (query: Promise<unknown>) => {
    try {
      await query;
    } catch (err) {
      return err;
    }
    throw new Error("the query was expected to fail");
  };

  it("a unique violation keeps SQLSTATE and constraint, drops the detail that quotes the row", async () => {
    const user = await createUser();
    const err = await failure(
      db()
        .insert(users)
        .values({
          username: `other_${unique()}`,
          email: user.email,
          passwordHash: "$scrypt$not-a-real-hash",
        }),
    );
    // The premise: the raw error does carry the values.
    expect(String((err as Error).message)).toContain(user.email);
    const summary = describeError(err);
    expect(summary).toMatchObject({ code: "23505", constraint: "users_email_lower_key", table: "users" });
    const text = JSON.stringify(summary);
    for (const secret of [user.email, "$scrypt$", "params", "Key ("]) expect(text).not.toContain(secret);
  });

  it("a value quoted in the primary message is masked, identifiers are kept", async () => {
    const email = `someone_${unique()}@example.com`;
    const err = await failure(db().select().from(users).where(eq(users.id, email)));
    const summary = describeError(err);
    expect(summary.code).toBe("22P02");
    expect(summary.message).toBe('invalid input syntax for type uuid: "…"');
    expect(JSON.stringify(summary)).not.toContain(email);

    const missing = describeError(await failure(db().execute(dsql.raw(`select 1 from "no_such_table"`))));
    expect(missing).toMatchObject({ code: "42P01", message: 'relation "no_such_table" does not exist' });
  });

  it("other errors keep message and stack frames but not the stack's message lines", () => {
    const err = new TypeError("something broke\nsecond line", { cause: new RangeError("underneath") });
    const summary = describeError(err);
    expect(summary).toMatchObject({
      name: "TypeError",
      message: "something broke\nsecond line",
      cause: { name: "RangeError", message: "underneath" },
    });
    expect(summary.frames?.length).toBeGreaterThan(0);
    for (const frame of summary.frames ?? []) expect(frame).toMatch(/^at /);
    expect(summary.code).toBeUndefined();
  });
});
