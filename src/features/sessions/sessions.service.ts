/**
 * Logged-in devices: the caller's live sessions, and ending one of them. Every statement names the
 * caller through the session gate, so another user's session can never be listed or ended.
 */

import { sql } from "drizzle-orm";
import type { Db } from "../../db/client.ts";
import type { ClientInfo } from "../../lib/client-info.ts";
import { ApiError } from "../../lib/errors.ts";
import { isUuid } from "../../lib/postgres.ts";
import type { SessionGate } from "../../services/session-gate.ts";

/** A live session as the list shows it. */
export interface DeviceRecord {
  id: string;
  userAgent: string | null;
  ip: string | null;
  country: string | null;
  city: string | null;
  createdAt: string;
  lastUsedAt: string;
  current: boolean;
}

/** 404 for a session the caller does not have (another user's, ended, or not an id at all). */
export const sessionNotFound = () =>
  new ApiError(404, "not_found", { detail: "No such session among your logged-in devices." });

/**
 * A page of the caller's live sessions, most recently used first (ties by id), with the total, in
 * one gated statement. `current` marks the session of the token making the request.
 */
export async function listSessions(
  db: Db,
  gate: SessionGate,
  page: { skip: number; limit: number },
): Promise<{ items: DeviceRecord[]; total: number; skip: number; limit: number }> {
  const result = await db.execute<{ ok: boolean; total: number; items: Record<string, unknown>[] }>(sql`
    with g as (select ${gate.userId} as user_id),
    f as (
      select s.id, s.user_agent, s.ip, s.country, s.city, s.created_at, s.last_used_at
      from sessions s
      where s.user_id = (select user_id from g) and s.revoked_at is null and s.expires_at > now()
    )
    select (select user_id from g) is not null as ok, (select count(*) from f)::int as total,
      coalesce((select json_agg(p) from (
        select * from f order by last_used_at desc, id desc limit ${page.limit} offset ${page.skip}
      ) p), '[]'::json) as items`);
  const row = result.rows[0];
  if (!row?.ok) throw gate.denied();
  const current = gate.tokenSessionId;
  return {
    items: row.items.map((r) => ({
      id: r.id as string,
      userAgent: (r.user_agent as string | null) ?? null,
      ip: (r.ip as string | null) ?? null,
      country: (r.country as string | null) ?? null,
      city: (r.city as string | null) ?? null,
      createdAt: r.created_at as string,
      lastUsedAt: r.last_used_at as string,
      current: r.id === current,
    })),
    total: Number(row.total),
    skip: page.skip,
    limit: page.limit,
  };
}

/**
 * Ends one of the caller's live sessions (its access and refresh tokens stop working at once) and
 * writes a `session_revoked` security event, in one statement. Ending the current session is a
 * logout. Any id that is not one of the caller's live sessions is 404.
 */
export async function revokeSession(
  db: Db,
  gate: SessionGate,
  sessionId: string,
  client: ClientInfo,
): Promise<void> {
  // Not an id at all: no statement can find it (the gate is still checked first, on the error path).
  if (!isUuid(sessionId)) throw gate.denied(sessionNotFound());
  const result = await db.execute(sql`
    with upd as (
      update sessions set revoked_at = now()
      where id = ${sessionId} and user_id = ${gate.userId} and revoked_at is null and expires_at > now()
      returning id, user_id
    ), ev as (
      insert into security_events (user_id, type, ip, user_agent, metadata)
      select user_id, 'session_revoked', ${client.ip}, ${client.userAgent},
             jsonb_build_object('session_id', id, 'current', id = ${gate.tokenSessionId}::uuid)
      from upd
    )
    select id from upd`);
  if (result.rows.length === 0) throw gate.denied(sessionNotFound());
}
