/**
 * Pre-registration (a waiting list): anyone may leave an address; admins list them. Registering an
 * account with the address marks it converted (in auth.service.ts registerUser).
 */
import { type SQL, sql } from "drizzle-orm";
import type { Db } from "../../db/client.ts";
import { likePattern } from "../../lib/pagination.ts";
import type { SessionGate } from "../../services/session-gate.ts";

/**
 * Records `email` once (case-insensitively); a repeat changes nothing. An address that already has
 * an account is recorded as converted. One statement; the caller learns nothing either way.
 */
export async function preRegister(db: Db, input: { email: string; source: string | null }): Promise<void> {
  await db.execute(sql`
    insert into pre_registrations (email, source, converted_at)
    select ${input.email}, ${input.source},
      (select now() from users where lower(email) = lower(${input.email}))
    on conflict (lower(email)) do nothing`);
}

export interface PreRegistrationRecord {
  id: string;
  email: string;
  source: string | null;
  createdAt: string;
  convertedAt: string | null;
}

export interface PreRegistrationQuery {
  skip: number;
  limit: number;
  q?: string;
  source?: string;
  converted?: boolean;
}

/** A page of pre-registrations, newest first, and the total, in one statement carrying the gate. */
export async function listPreRegistrations(
  db: Db,
  gate: SessionGate,
  query: PreRegistrationQuery,
): Promise<{ items: PreRegistrationRecord[]; total: number; skip: number; limit: number }> {
  const filters: SQL[] = [sql`(select ok from g)`];
  if (query.q) filters.push(sql`p.email ilike ${likePattern(query.q)}`);
  if (query.source) filters.push(sql`p.source = ${query.source}`);
  if (query.converted !== undefined) {
    filters.push(query.converted ? sql`p.converted_at is not null` : sql`p.converted_at is null`);
  }
  const result = await db.execute<{ ok: boolean; total: number; items: Record<string, unknown>[] }>(sql`
    with g as (select ${gate.passes} as ok),
    f as (
      select p.id, p.email, p.source, p.created_at, p.converted_at
      from pre_registrations p where ${sql.join(filters, sql` and `)}
    )
    select (select ok from g) as ok, (select count(*) from f)::int as total,
      coalesce((select json_agg(x) from (
        select * from f order by created_at desc, id desc limit ${query.limit} offset ${query.skip}
      ) x), '[]'::json) as items`);
  const row = result.rows[0];
  if (!row?.ok) throw gate.denied();
  return {
    items: row.items.map((r) => ({
      id: r.id as string,
      email: r.email as string,
      source: (r.source as string | null) ?? null,
      createdAt: r.created_at as string,
      convertedAt: (r.converted_at as string | null) ?? null,
    })),
    total: Number(row.total),
    skip: query.skip,
    limit: query.limit,
  };
}
