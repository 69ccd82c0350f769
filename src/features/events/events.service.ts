/**
 * The two event logs as pages: a user's own security events, and the staff audit log. Each page is
 * one statement that also carries the session gate (one round trip).
 */
import { type SQL, sql } from "drizzle-orm";
import type { Db } from "../../db/client.ts";
import type { AuditChanges } from "../../db/schema/audit-events.ts";
import type { SecurityEventType } from "../../db/schema/security-events.ts";
import type { SessionGate } from "../../services/session-gate.ts";

/** A page as every list answers it. */
export interface Page<T> {
  items: T[];
  total: number;
  skip: number;
  limit: number;
}

export interface SecurityEvent {
  id: string;
  type: SecurityEventType;
  ip: string | null;
  user_agent: string | null;
  created_at: string;
  metadata: Record<string, unknown>;
}

export interface AuditEvent {
  id: string;
  actor_id: string | null;
  target_id: string | null;
  action: string;
  changes: AuditChanges;
  ip: string | null;
  user_agent: string | null;
  created_at: string;
}

const iso = (v: unknown) => new Date(v as string).toISOString();

/** `{ok, total, items}` of `from` filtered by `filters`, newest first, in one statement. */
async function page(
  db: Db,
  ctes: SQL,
  gateOk: SQL,
  columns: SQL,
  from: SQL,
  filters: SQL[],
  paging: { skip: number; limit: number },
): Promise<{ ok: boolean; total: number; items: Record<string, unknown>[] }> {
  const where = sql.join([sql`(select ok from g)`, ...filters], sql` and `);
  const result = await db.execute<{ ok: boolean; total: number; items: Record<string, unknown>[] }>(sql`
    with ${ctes} g as (select ${gateOk} as ok)
    select (select ok from g) as ok,
      (select count(*) from ${from} where ${where})::int as total,
      coalesce((select json_agg(p) from (
        select ${columns} from ${from} where ${where}
        order by e.created_at desc, e.id desc limit ${paging.limit} offset ${paging.skip}
      ) p), '[]'::json) as items`);
  const row = result.rows[0];
  return { ok: Boolean(row?.ok), total: Number(row?.total ?? 0), items: row?.items ?? [] };
}

/** The caller's own security events, newest first, optionally of one `type`. */
export async function listMySecurityEvents(
  db: Db,
  gate: SessionGate,
  query: { skip: number; limit: number; type?: SecurityEventType },
): Promise<Page<SecurityEvent>> {
  const filters = [sql`e.user_id = (select id from me)`];
  if (query.type) filters.push(sql`e.type = ${query.type}`);
  // `me` is the gate (the caller's id or NULL); the page statement's `g` is whether it is set.
  const result = await page(
    db,
    sql`me as (select ${gate.userId} as id),`,
    sql`(select id from me) is not null`,
    sql`e.id, e.type, e.ip, e.user_agent, e.created_at, e.metadata`,
    sql`security_events e`,
    filters,
    query,
  );
  if (!result.ok) throw gate.denied();
  return {
    items: result.items.map((r) => ({
      id: r.id as string,
      type: r.type as SecurityEventType,
      ip: (r.ip as string | null) ?? null,
      user_agent: (r.user_agent as string | null) ?? null,
      created_at: iso(r.created_at),
      metadata: (r.metadata as Record<string, unknown>) ?? {},
    })),
    total: result.total,
    skip: query.skip,
    limit: query.limit,
  };
}

/** The audit log (admins, by the route's roles), newest first, filtered by actor, target, action. */
export async function listAuditEvents(
  db: Db,
  gate: SessionGate,
  query: { skip: number; limit: number; actor_id?: string; target_id?: string; action?: string },
): Promise<Page<AuditEvent>> {
  const filters: SQL[] = [];
  if (query.actor_id) filters.push(sql`e.actor_id = ${query.actor_id}`);
  if (query.target_id) filters.push(sql`e.target_id = ${query.target_id}`);
  if (query.action) filters.push(sql`e.action = ${query.action}`);
  const result = await page(
    db,
    sql``,
    gate.passes,
    sql`e.id, e.actor_id, e.target_id, e.action, e.changes, e.ip, e.user_agent, e.created_at`,
    sql`audit_events e`,
    filters,
    query,
  );
  if (!result.ok) throw gate.denied();
  return {
    items: result.items.map((r) => ({
      id: r.id as string,
      actor_id: (r.actor_id as string | null) ?? null,
      target_id: (r.target_id as string | null) ?? null,
      action: r.action as string,
      changes: (r.changes as AuditChanges) ?? {},
      ip: (r.ip as string | null) ?? null,
      user_agent: (r.user_agent as string | null) ?? null,
      created_at: iso(r.created_at),
    })),
    total: result.total,
    skip: query.skip,
    limit: query.limit,
  };
}
