/**
 * The fuzz suite's database: a schema of its own holding a copy of every table in `public` (found
 * in the catalog, foreign keys included, so a table added by a migration joins by itself), a digest
 * of all its rows, and cheap callers of any role minted straight into it.
 *
 * Other test files write to `public` at the same time, so "a rejected request changed no row" can
 * only be judged in a schema that nothing else touches.
 */
import { neon } from "@neondatabase/serverless";
import { inject } from "vitest";
import { configureNeon } from "../../../src/db/client.ts";
import { loadConfig } from "../../../src/env.ts";
import { hashPassword } from "../../../src/services/password.ts";
import { hashToken, newRefreshToken, signAccessToken } from "../../../src/services/tokens.ts";
import { STRONG_PASSWORD, unique } from "../../helpers/factories.ts";
import { envWith, type TestEnv } from "../../helpers/harness.ts";

export type Sql = (strings: TemplateStringsArray, ...params: unknown[]) => Promise<Record<string, any>[]>;

export interface FuzzDatabase {
  schema: string;
  /** The Worker env whose database is the private schema (plus `overrides`). */
  env: TestEnv;
  sql: Sql;
  /** md5 over every row of each table (in a stable order): equal digests mean no row changed. */
  tableDigests(): Promise<Record<string, string>>;
  /** Empties every table (between operations, so digests stay cheap in long runs). */
  truncate(): Promise<void>;
  /**
   * The run's caller (of `options.role`, with a live session, an access token for it, a refresh
   * token and one-time tokens) and a bystander user, then the table digests with both in place:
   * one round trip in all.
   */
  mint(options: MintOptions): Promise<{ caller: Minted; bystander: Minted; digests: Record<string, string> }>;
}

export type Role = "user" | "moderator" | "admin";

export interface MintOptions {
  role: Role;
  credits?: number;
  /** The session is revoked before the token is handed out (a credential every route refuses). */
  revoked?: boolean;
}

export interface Minted {
  id: string;
  username: string;
  email: string;
  password: string;
  sessionId: string;
  accessToken: string;
  refreshToken: string;
  /** One-time tokens for this user (e-mail verification, password reset), valid for an hour. */
  verifyToken: string;
  resetToken: string;
}

/** Creates the private schema with a copy of every `public` table and the env that reaches it. */
export async function fuzzDatabase(
  overrides: Record<string, unknown> = {},
  /** Rows the digest leaves out, as `table: SQL condition the counted rows meet`. */
  digestOnly: Record<string, string> = {},
): Promise<FuzzDatabase> {
  configureNeon(inject("gatewayUrl"));
  const schema = `fuzz_${crypto.randomUUID().replaceAll("-", "").slice(0, 16)}`;
  const admin = neon(inject("databaseUrl"));
  // One statement: the tables (defaults, checks and indexes copied), then every foreign key between
  // them, re-pointed at the copies (pg_get_constraintdef leaves names in `public` unqualified).
  await admin.query(`
    do $$
    declare t record; fks text[]; stmt text;
    begin
      create schema ${schema};
      for t in select tablename from pg_tables where schemaname = 'public' order by tablename loop
        execute format('create table ${schema}.%I (like public.%I including all)', t.tablename, t.tablename);
      end loop;
      select coalesce(array_agg(format('alter table ${schema}.%I add constraint %I %s',
               r.relname, c.conname, pg_get_constraintdef(c.oid))), '{}')
        into fks
        from pg_constraint c join pg_class r on r.oid = c.conrelid join pg_namespace n on n.oid = r.relnamespace
        where n.nspname = 'public' and c.contype = 'f';
      -- The definitions name the referenced tables unqualified: with only the copy on the path,
      -- they point at the copies.
      perform set_config('search_path', '${schema}', true);
      foreach stmt in array fks loop
        execute stmt;
      end loop;
    end $$`);
  const tables = (
    await admin.query(`select tablename from pg_tables where schemaname = $1 order by tablename`, [schema])
  ).map((r) => String(r.tablename));
  if (!tables.includes("users") || !tables.includes("sessions"))
    throw new Error(`fuzz schema ${schema} lacks the account tables: ${tables.join(", ")}`);

  const url = new URL(inject("databaseUrl"));
  url.searchParams.set("options", `-c search_path=${schema},public`);
  const env = envWith({ DATABASE_URL: url.toString(), ...overrides });
  const query = neon(url.toString());
  const sql: Sql = (strings, ...params) => query(strings, ...params) as Promise<Record<string, any>[]>;

  const perTable = tables
    .map(
      (t) =>
        `select '${t}' as t, md5(coalesce(string_agg(r::text, E'\\n' order by r::text), '')) as h
         from ${schema}."${t}" r where ${digestOnly[t] ?? "true"}`,
    )
    .join(" union all ");
  const tableDigests = async () =>
    Object.fromEntries((await query.query(perTable)).map((r) => [String(r.t), String(r.h)])) as Record<
      string,
      string
    >;

  const config = loadConfig(env);
  const passwordHash = await hashPassword(STRONG_PASSWORD);

  return {
    schema,
    env,
    sql,
    tableDigests,
    async truncate() {
      await query.query(`truncate ${tables.map((t) => `${schema}."${t}"`).join(", ")} cascade`);
    },
    async mint(callerOptions) {
      const people = [callerOptions, { role: "user" as const }].map(
        ({ role, credits = 0, revoked = false }) => ({
          role,
          credits,
          revoked,
          username: `fz_${unique()}`,
          refreshToken: newRefreshToken(),
          verifyToken: newRefreshToken(),
          resetToken: newRefreshToken(),
        }),
      );
      const hashes = await Promise.all(
        people.map(async (p) => ({
          refresh: await hashToken(p.refreshToken),
          verify: await hashToken(p.verifyToken),
          reset: await hashToken(p.resetToken),
        })),
      );
      // Built, not awaited: a Neon query runs when awaited, and these run inside the transaction.
      const inserts = people.map((p, i) => {
        const email = `${p.username}@example.com`;
        const h = hashes[i] as { refresh: string; verify: string; reset: string };
        return query`
          with u as (
            insert into users (username, email, password_hash, role, credits)
            values (${p.username}, ${email}, ${passwordHash}, ${p.role}, ${p.credits}) returning id
          ), s as (
            insert into sessions (id, user_id, refresh_hash, expires_at, revoked_at)
            select gen_random_uuid(), id, ${h.refresh}, now() + interval '1 hour',
              case when ${p.revoked}::boolean then now() end
            from u returning id, user_id
          ), t as (
            insert into one_time_tokens (token_hash, user_id, purpose, email, expires_at)
            select v.hash, u.id, v.purpose::one_time_token_purpose, ${email}, now() + interval '1 hour'
            from u, (values (${h.verify}, 'verify_email'), (${h.reset}, 'reset_password')) as v(hash, purpose)
          )
          select user_id as id, id as session_id from s`;
      });
      // One round trip: both users, then the digest of every table with them in it.
      const results = (await query.transaction([...inserts, query.query(perTable)])) as Record<
        string,
        any
      >[][];
      const digests = Object.fromEntries(
        (results.at(-1) ?? []).map((r) => [String(r.t), String(r.h)]),
      ) as Record<string, string>;
      const minted = await Promise.all(
        people.map(async (p, i): Promise<Minted> => {
          const row = results[i]?.[0];
          if (!row) throw new Error("minting a caller inserted nothing");
          const { token } = await signAccessToken(config, {
            userId: row.id,
            sessionId: row.session_id,
            role: p.role,
          });
          return {
            id: row.id,
            username: p.username,
            email: `${p.username}@example.com`,
            password: STRONG_PASSWORD,
            sessionId: row.session_id,
            accessToken: token,
            refreshToken: p.refreshToken,
            verifyToken: p.verifyToken,
            resetToken: p.resetToken,
          };
        }),
      );
      return { caller: minted[0] as Minted, bystander: minted[1] as Minted, digests };
    },
  };
}
