/**
 * A private copy of the account tables in a schema of its own, for tests of global facts ("the last
 * active admin") that other test files, creating admins concurrently, would otherwise disturb. The
 * Worker reaches it through a DATABASE_URL whose `options` put that schema first on the search_path.
 */
import { neon } from "@neondatabase/serverless";
import { inject } from "vitest";
import { configureNeon } from "../../src/db/client.ts";
import { createUser, loginAs, type TestUser, type TokenPair } from "./factories.ts";
import { envWith, type TestEnv } from "./harness.ts";

const TABLES = [
  "users",
  "sessions",
  "retired_refresh_tokens",
  "security_events",
  "audit_events",
  "rate_limit_counters",
  // Registration also writes these, in the same statement as the user.
  "one_time_tokens",
  "email_outbox",
  "pre_registrations",
];

export interface IsolatedSchema {
  /** The Worker env whose database is the private schema. */
  env: TestEnv;
  /** Tagged-template SQL against the private schema. */
  sql: (strings: TemplateStringsArray, ...params: unknown[]) => Promise<Record<string, any>[]>;
  /** A registered, logged-in user with `role` in the private schema. */
  signedIn: (role: "user" | "moderator" | "admin") => Promise<TestUser & { tokens: TokenPair }>;
}

/** Creates the schema: the tables as in public (indexes included), foreign keys re-added. */
export async function isolatedSchema(): Promise<IsolatedSchema> {
  configureNeon(inject("gatewayUrl"));
  const schema = `iso_${crypto.randomUUID().replaceAll("-", "").slice(0, 16)}`;
  const admin = neon(inject("databaseUrl"));
  await admin.query(`create schema ${schema}`);
  for (const table of TABLES)
    await admin.query(`create table ${schema}.${table} (like public.${table} including all)`);
  await admin.query(
    `alter table ${schema}.sessions add foreign key (user_id) references ${schema}.users(id) on delete cascade`,
  );
  await admin.query(
    `alter table ${schema}.security_events add foreign key (user_id) references ${schema}.users(id) on delete cascade`,
  );
  await admin.query(
    `alter table ${schema}.one_time_tokens add foreign key (user_id) references ${schema}.users(id) on delete cascade`,
  );
  await admin.query(
    `alter table ${schema}.retired_refresh_tokens add foreign key (session_id) references ${schema}.sessions(id) on delete cascade`,
  );
  const url = new URL(inject("databaseUrl"));
  url.searchParams.set("options", `-c search_path=${schema},public`);
  const env = envWith({ DATABASE_URL: url.toString() });
  const query = neon(url.toString());
  const sql = (strings: TemplateStringsArray, ...params: unknown[]) =>
    query(strings, ...params) as Promise<Record<string, any>[]>;
  const signedIn = async (role: "user" | "moderator" | "admin") => {
    const user = await createUser({}, env);
    if (role !== "user") await sql`update users set role = ${role} where id = ${user.id}`;
    return { ...user, tokens: await loginAs(user, { env }) };
  };
  return { env, sql, signedIn };
}
