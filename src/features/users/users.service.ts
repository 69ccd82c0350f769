/**
 * The caller's own account (/users/me). Every statement names the caller through the session gate,
 * so it acts only while the session is live and the account active.
 */

import { eq, type SQL, sql } from "drizzle-orm";
import type { Db } from "../../db/client.ts";
import { users } from "../../db/schema/index.ts";
import type { UserRole } from "../../db/schema/users.ts";
import type { ClientInfo } from "../../lib/client-info.ts";
import { ApiError } from "../../lib/errors.ts";
import { likePattern } from "../../lib/pagination.ts";
import { isUniqueViolation } from "../../lib/postgres.ts";
import { verifyEmailMessage } from "../../services/mailer/templates.ts";
import { prepareTokenEmail, tokenEmailCtes } from "../../services/outbox.ts";
import type { SessionGate } from "../../services/session-gate.ts";
import { reauthenticate } from "../auth/auth.service.ts";
import { type UserRecord, userFromSqlRow } from "./users.schemas.ts";

/** One round trip: the caller's user row, through the gate. */
export async function getMe(db: Db, gate: SessionGate): Promise<UserRecord> {
  const [user] = await db.select().from(users).where(eq(users.id, gate.userId));
  if (!user) throw gate.denied();
  return user;
}

export interface MePatch {
  fullName?: string | null;
  username?: string;
  email?: string;
  /** Required with `email`: changing the address is a takeover-grade change. */
  currentPassword?: string;
}

/**
 * Updates the caller's profile in one statement; a changed e-mail is no longer verified, writes an
 * `email_changed` security event and, in the same statement, a verification e-mail to the new
 * address (returned as `emailId`, for the caller to queue). An e-mail change first re-checks the
 * current password (a second round trip), so a stolen access token cannot move the account.
 */
export async function updateMe(
  db: Db,
  gate: SessionGate,
  patch: MePatch,
  client: ClientInfo,
  appUrl: string,
): Promise<{ user: UserRecord; emailId: string | null }> {
  if (patch.email !== undefined) {
    if (patch.currentPassword === undefined) throw new Error("updateMe: an e-mail change needs the password");
    await reauthenticate(db, gate, patch.currentPassword);
  }
  const set = [sql`updated_at = now()`];
  if (patch.fullName !== undefined) set.push(sql`full_name = ${patch.fullName}`);
  if (patch.username !== undefined) set.push(sql`username = ${patch.username}`);
  if (patch.email !== undefined) {
    set.push(sql`email = ${patch.email}`);
    set.push(
      sql`email_verified_at = case when lower(u.email) = lower(${patch.email}) then u.email_verified_at else null end`,
    );
  }
  // Rendered either way; written only when the address really changes (not for a change of case).
  const mail =
    patch.email !== undefined
      ? await prepareTokenEmail("verify_email", (token) => verifyEmailMessage(appUrl, token))
      : undefined;
  const mailCtes = mail
    ? sql`, changed as (
        select upd.id, upd.email from upd, old where lower(upd.email) <> lower(old.email)
      ), ${tokenEmailCtes(mail, sql`changed`)}`
    : sql``;
  try {
    const result = await db.execute(sql`
      with old as (select id, email from users where id = ${gate.userId}),
      upd as (
        update users u set ${sql.join(set, sql`, `)}
        from old where u.id = old.id
        returning u.*
      ), ev as (
        insert into security_events (user_id, type, ip, user_agent, metadata)
        select upd.id, 'email_changed', ${client.ip}, ${client.userAgent}, jsonb_build_object('from', old.email, 'to', upd.email)
        from upd, old where lower(upd.email) <> lower(old.email)
      )${mailCtes}
      select *, ${mail ? sql`(select count(*) from mail)::int` : sql`0`} as mail_queued from upd`);
    const row = result.rows[0];
    if (!row) throw gate.denied();
    return {
      user: userFromSqlRow(row),
      emailId: mail && Number(row.mail_queued) > 0 ? mail.outboxId : null,
    };
  } catch (err) {
    if (isUniqueViolation(err)) {
      throw new ApiError(409, "account_exists", { detail: "That username or e-mail is already registered." });
    }
    throw err;
  }
}

/** Deletes the caller's account after re-checking the password (sessions and events cascade). */
export async function deleteMe(db: Db, gate: SessionGate, password: string): Promise<void> {
  await reauthenticate(db, gate, password);
  const deleted = await db.delete(users).where(eq(users.id, gate.userId)).returning({ id: users.id });
  if (deleted.length === 0) throw gate.denied();
}

export interface UserListQuery {
  skip: number;
  limit: number;
  q?: string;
  role?: UserRole;
  is_active?: boolean;
}

/**
 * The list statement: the gate, the total and the page (newest first, ties by id, so pages are
 * stable). The filters are repeated in the count and the page instead of sharing a CTE: a CTE used
 * twice is materialized, which would read every matching row before the page could use the
 * (created_at, id) index. Exported for bench/users-list.ts, which explains this exact statement.
 */
export function listUsersStatement(gate: SessionGate, query: UserListQuery): SQL {
  const filters: SQL[] = [sql`(select ok from g)`];
  if (query.q) {
    const pattern = likePattern(query.q);
    filters.push(
      sql`(u.username ilike ${pattern} or u.email ilike ${pattern} or u.full_name ilike ${pattern})`,
    );
  }
  if (query.role) filters.push(sql`u.role = ${query.role}`);
  if (query.is_active !== undefined) filters.push(sql`u.is_active = ${query.is_active}`);
  const where = sql.join(filters, sql` and `);
  return sql`
    with g as (select ${gate.passes} as ok)
    select (select ok from g) as ok, (select count(*) from users u where ${where})::int as total,
      coalesce((select json_agg(p) from (
        select u.id, u.username, u.email, u.full_name, u.avatar_key, u.role, u.is_active,
               u.email_verified_at, u.credits, u.created_at, u.updated_at, u.last_login
        from users u where ${where}
        order by u.created_at desc, u.id desc limit ${query.limit} offset ${query.skip}
      ) p), '[]'::json) as items`;
}

/** A page of users and the total, in one statement that also carries the gate (moderators and admins). */
export async function listUsers(
  db: Db,
  gate: SessionGate,
  query: UserListQuery,
): Promise<{ items: UserRecord[]; total: number; skip: number; limit: number }> {
  const result = await db.execute<{ ok: boolean; total: number; items: Record<string, unknown>[] }>(
    listUsersStatement(gate, query),
  );
  const row = result.rows[0];
  if (!row?.ok) throw gate.denied();
  return {
    items: row.items.map(userFromSqlRow),
    total: Number(row.total),
    skip: query.skip,
    limit: query.limit,
  };
}
