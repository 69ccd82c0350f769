/**
 * Staff actions on other accounts (/users/{id}). Every statement names the caller through the session
 * gate, reads the caller's role from the database in the same statement, and writes its audit row
 * in the same statement (a data-modifying CTE), so an action and its record cannot part ways.
 */

import { type SQL, sql } from "drizzle-orm";
import type { Db } from "../../db/client.ts";
import type { UserRole } from "../../db/schema/users.ts";
import type { ClientInfo } from "../../lib/client-info.ts";
import { ApiError, forbidden } from "../../lib/errors.ts";
import { ADMIN_CHANGE_LOCK_KEY, PERMISSIONS, type Permission } from "../../lib/permissions.ts";
import { isUuid } from "../../lib/postgres.ts";
import type { SessionGate } from "../../services/session-gate.ts";
import { type UserRecord, userFromSqlRow } from "./users.schemas.ts";

/** 404 for a user the caller may not see, a missing one and a malformed id alike (no probing). */
export const userNotFound = () => new ApiError(404, "not_found", { detail: "No such user." });

const lastAdmin = () =>
  new ApiError(409, "last_admin", {
    detail: "This is the last active admin: promote another admin first.",
  });

/** `role in (...)` for the roles a permission admits, from the one permission table. */
const roleIn = (column: SQL, permission: Permission) =>
  sql`${column} in (${sql.join(
    PERMISSIONS[permission].map((r) => sql`${r}`),
    sql`, `,
  )})`;

/** SQL: no other active admin than `targetId` exists (read after the admin-change lock). */
const noOtherActiveAdmin = (targetId: SQL) =>
  sql`not exists (select 1 from users a where a.role = 'admin' and a.is_active and a.id <> ${targetId})`;

/**
 * The transaction-scoped lock every admin demotion, deactivation and deletion takes before its
 * statement (in the same `db.batch`, one round trip). The statement then runs with a snapshot taken
 * after the lock, so of two concurrent demotions of the last two admins the second sees the first
 * and answers 409. Taken only while the gate passes.
 */
const adminChangeLock = (gate: SessionGate) =>
  sql`select pg_advisory_xact_lock(${ADMIN_CHANGE_LOCK_KEY}::bigint) where ${gate.passes}`;

/** Runs `statement`, behind the admin-change lock when `locked`: one round trip either way. */
async function run(db: Db, gate: SessionGate, statement: SQL, locked: boolean) {
  if (!locked) return (await db.execute(statement)).rows;
  const [, result] = await db.batch([db.execute(adminChangeLock(gate)), db.execute(statement)]);
  return result.rows;
}

/**
 * One round trip: the user `id` when the caller may read it (their own account, or any account for
 * roles with `users:read-any`); 404 otherwise.
 */
export async function getUser(db: Db, gate: SessionGate, id: string): Promise<UserRecord> {
  if (!isUuid(id)) throw gate.denied(userNotFound());
  const { rows } = await db.execute(sql`
    with caller as (select id, role from users where id = ${gate.userId})
    select c.id as caller_id, u.* from caller c
    left join users u on u.id = ${id} and (u.id = c.id or ${roleIn(sql`c.role`, "users:read-any")})`);
  const row = rows[0];
  if (!row) throw gate.denied(userNotFound());
  if (row.id === null) throw userNotFound();
  return userFromSqlRow(row);
}

/** The fields staff may change on an account. */
export interface AdminUserPatch {
  role?: UserRole;
  isActive?: boolean;
  fullName?: string | null;
  emailVerified?: boolean;
}

/**
 * Applies `patch` to the user `id` in one statement that decides, from the caller's role in the
 * database, whether they may: admins change every field; moderators only `is_active`, and only of
 * plain users (403 otherwise); the last active admin can be neither demoted nor deactivated (409).
 * Deactivating ends the user's sessions. The audit row carries the before/after of every field that
 * changed. One round trip (a batch with the admin-change lock when the patch demotes or deactivates).
 */
export async function updateUser(
  db: Db,
  gate: SessionGate,
  id: string,
  patch: AdminUserPatch,
  client: ClientInfo,
): Promise<UserRecord> {
  if (!isUuid(id)) throw gate.denied(userNotFound());
  const demotes = patch.role !== undefined && patch.role !== "admin";
  const deactivates = patch.isActive === false;
  const onlyIsActive =
    patch.isActive !== undefined &&
    patch.role === undefined &&
    patch.fullName === undefined &&
    patch.emailVerified === undefined;

  const set: SQL[] = [sql`updated_at = now()`];
  const changes: SQL[] = [sql`'{}'::jsonb`];
  const change = (field: string, before: SQL, after: SQL) =>
    changes.push(
      sql`case when ${before} is distinct from ${after} then jsonb_build_object(${field}::text, jsonb_build_object('before', ${before}, 'after', ${after})) else '{}'::jsonb end`,
    );
  if (patch.role !== undefined) {
    set.push(sql`role = ${patch.role}`);
    change("role", sql`o.role`, sql`upd.role`);
  }
  if (patch.isActive !== undefined) {
    set.push(sql`is_active = ${patch.isActive}`);
    change("is_active", sql`o.is_active`, sql`upd.is_active`);
  }
  if (patch.fullName !== undefined) {
    set.push(sql`full_name = ${patch.fullName}`);
    change("full_name", sql`o.full_name`, sql`upd.full_name`);
  }
  if (patch.emailVerified !== undefined) {
    set.push(
      patch.emailVerified
        ? sql`email_verified_at = coalesce(u.email_verified_at, now())`
        : sql`email_verified_at = null`,
    );
    change(
      "email_verified",
      sql`(o.email_verified_at is not null)`,
      sql`(upd.email_verified_at is not null)`,
    );
  }

  const rows = await run(
    db,
    gate,
    sql`
    with caller as (select id, role from users where id = ${gate.userId}),
    o as (select * from users where id = ${id}),
    decision as (
      select c.id as actor_id, o.id as target_id,
        case
          when o.id is null then 'not_found'
          when not (${roleIn(sql`c.role`, "users:update")}
                    or (${onlyIsActive} and ${roleIn(sql`c.role`, "users:set-active")} and o.role = 'user'))
            then 'forbidden'
          when o.role = 'admin' and o.is_active and (${demotes} or ${deactivates})
               and ${noOtherActiveAdmin(sql`o.id`)} then 'last_admin'
          else 'ok'
        end as outcome
      from caller c left join o on true
    ),
    upd as (
      update users u set ${sql.join(set, sql`, `)}
      from decision d where u.id = d.target_id and d.outcome = 'ok'
      returning u.*
    ),
    ended as (
      update sessions s set revoked_at = now() from upd
      where s.user_id = upd.id and not upd.is_active and s.revoked_at is null
      returning s.id
    ),
    audit as (
      insert into audit_events (actor_id, target_id, action, changes, ip, user_agent)
      select d.actor_id, upd.id, 'user.update', ${sql.join(changes, sql` || `)}, ${client.ip}, ${client.userAgent}
      from upd join o on o.id = upd.id cross join decision d
    )
    select d.outcome, upd.* from decision d left join upd on true`,
    demotes || deactivates,
  );
  return userFromOutcome(gate, rows[0]);
}

function userFromOutcome(gate: SessionGate, row: Record<string, unknown> | undefined): UserRecord {
  if (!row) throw gate.denied(userNotFound());
  switch (row.outcome) {
    case "ok":
      return userFromSqlRow(row);
    case "forbidden":
      throw forbidden("Moderators may only change `is_active`, and only of plain users.");
    case "last_admin":
      throw lastAdmin();
    default:
      throw userNotFound();
  }
}

/**
 * Deletes the user `id` (admins only, by the route's roles): their sessions and security events
 * cascade, the audit row (no foreign key) stays. The last active admin cannot be deleted (409). One
 * round trip (a batch with the admin-change lock).
 */
export async function deleteUser(db: Db, gate: SessionGate, id: string, client: ClientInfo): Promise<void> {
  if (!isUuid(id)) throw gate.denied(userNotFound());
  const rows = await run(
    db,
    gate,
    sql`
    with caller as (select id from users where id = ${gate.userId}),
    o as (select * from users where id = ${id}),
    decision as (
      select c.id as actor_id, o.id as target_id,
        case
          when o.id is null then 'not_found'
          when o.role = 'admin' and o.is_active and ${noOtherActiveAdmin(sql`o.id`)} then 'last_admin'
          else 'ok'
        end as outcome
      from caller c left join o on true
    ),
    del as (
      delete from users u using decision d where u.id = d.target_id and d.outcome = 'ok'
      returning u.id, u.username, u.email, u.role, u.is_active
    ),
    audit as (
      insert into audit_events (actor_id, target_id, action, changes, ip, user_agent)
      select d.actor_id, del.id, 'user.delete',
        jsonb_build_object(
          'username', jsonb_build_object('before', del.username, 'after', null),
          'email', jsonb_build_object('before', del.email, 'after', null),
          'role', jsonb_build_object('before', del.role, 'after', null),
          'is_active', jsonb_build_object('before', del.is_active, 'after', null)),
        ${client.ip}, ${client.userAgent}
      from del cross join decision d
    )
    select d.outcome from decision d`,
    true,
  );
  const row = rows[0];
  if (!row) throw gate.denied(userNotFound());
  if (row.outcome === "last_admin") throw lastAdmin();
  if (row.outcome !== "ok") throw userNotFound();
}

/**
 * Ends every live session of the user `id` (admins only, by the route's roles); audited, and a
 * `session_revoked` security event tells the user. One round trip. Returns how many were ended.
 */
export async function revokeUserSessions(
  db: Db,
  gate: SessionGate,
  id: string,
  client: ClientInfo,
): Promise<number> {
  if (!isUuid(id)) throw gate.denied(userNotFound());
  const { rows } = await db.execute(sql`
    with caller as (select id from users where id = ${gate.userId}),
    t as (select u.id from users u, caller where u.id = ${id}),
    ended as (
      update sessions s set revoked_at = now() from t
      where s.user_id = t.id and s.revoked_at is null and s.expires_at > now()
      returning s.id
    ),
    audit as (
      insert into audit_events (actor_id, target_id, action, changes, ip, user_agent)
      select caller.id, t.id, 'user.sessions_revoke',
        jsonb_build_object('live_sessions', jsonb_build_object('before', (select count(*) from ended), 'after', 0)),
        ${client.ip}, ${client.userAgent}
      from t cross join caller
    ),
    ev as (
      insert into security_events (user_id, type, ip, user_agent, metadata)
      select t.id, 'session_revoked', ${client.ip}, ${client.userAgent},
        jsonb_build_object('by', 'admin', 'sessions', (select count(*) from ended))
      from t
    )
    select c.id as caller_id, (select id from t) as target_id, (select count(*) from ended)::int as revoked
    from caller c`);
  const row = rows[0];
  if (!row) throw gate.denied(userNotFound());
  if (row.target_id === null) throw userNotFound();
  return Number(row.revoked);
}
