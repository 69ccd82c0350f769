/**
 * The caller's own account (/users/me). Every statement checks the session in the same query.
 */
import { and, eq, sql } from "drizzle-orm";
import type { Db } from "../../db/client.ts";
import { users } from "../../db/schema/index.ts";
import type { ClientInfo } from "../../lib/client-info.ts";
import { ApiError, unauthorized } from "../../lib/errors.ts";
import type { AuthContext } from "../../lib/types.ts";
import { verifyPassword } from "../../services/password.ts";
import { liveSession } from "../../services/sessions.ts";
import { currentPasswordHash, wrongPassword } from "../auth/auth.service.ts";
import { type UserRecord, userFromSqlRow } from "./users.schemas.ts";

/** One round trip: the user, provided the token's session is live and the account active. */
export async function getMe(db: Db, auth: AuthContext): Promise<UserRecord> {
  const [user] = await db
    .select()
    .from(users)
    .where(and(eq(users.id, auth.userId), eq(users.isActive, true), liveSession(auth)));
  if (!user) throw unauthorized();
  return user;
}

export interface MePatch {
  fullName?: string | null;
  username?: string;
  email?: string;
}

const UNIQUE_VIOLATION = "23505";
const isUniqueViolation = (err: unknown): boolean => {
  for (let e: unknown = err; e; e = (e as { cause?: unknown }).cause) {
    if ((e as { code?: string }).code === UNIQUE_VIOLATION) return true;
  }
  return false;
};

/**
 * Updates the caller's profile in one statement; a changed e-mail is no longer verified and writes
 * an `email_changed` security event.
 */
export async function updateMe(
  db: Db,
  auth: AuthContext,
  patch: MePatch,
  client: ClientInfo,
): Promise<UserRecord> {
  const set = [sql`updated_at = now()`];
  if (patch.fullName !== undefined) set.push(sql`full_name = ${patch.fullName}`);
  if (patch.username !== undefined) set.push(sql`username = ${patch.username}`);
  if (patch.email !== undefined) {
    set.push(sql`email = ${patch.email}`);
    set.push(
      sql`email_verified_at = case when lower(u.email) = lower(${patch.email}) then u.email_verified_at else null end`,
    );
  }
  try {
    const result = await db.execute(sql`
      with old as (select email from users where id = ${auth.userId}),
      upd as (
        update users u set ${sql.join(set, sql`, `)}
        where u.id = ${auth.userId} and u.is_active and ${liveSession(auth)}
        returning u.*
      ), ev as (
        insert into security_events (user_id, type, ip, user_agent, metadata)
        select upd.id, 'email_changed', ${client.ip}, ${client.userAgent}, jsonb_build_object('from', old.email, 'to', upd.email)
        from upd, old where lower(upd.email) <> lower(old.email)
      )
      select * from upd`);
    const row = result.rows[0];
    if (!row) throw unauthorized();
    return userFromSqlRow(row);
  } catch (err) {
    if (isUniqueViolation(err)) {
      throw new ApiError(409, "account_exists", { detail: "That username or e-mail is already registered." });
    }
    throw err;
  }
}

/** Deletes the caller's account after re-checking the password (sessions and events cascade). */
export async function deleteMe(db: Db, auth: AuthContext, password: string): Promise<void> {
  const stored = await currentPasswordHash(db, auth);
  if (!(await verifyPassword(password, stored)).ok) throw wrongPassword();
  await db.delete(users).where(eq(users.id, auth.userId));
}
