/**
 * Accounts and sessions: registration, login, refresh rotation, logout, password change.
 * No Hono types here; every function costs at most two database round trips.
 */
import { and, eq, isNull, ne, or, sql } from "drizzle-orm";
import type { Db } from "../../db/client.ts";
import { securityEvents, sessions, users } from "../../db/schema/index.ts";
import type { Config } from "../../env.ts";
import type { ClientInfo } from "../../lib/client-info.ts";
import { ApiError, unauthorized } from "../../lib/errors.ts";
import type { AuthContext } from "../../lib/types.ts";
import { hashPassword, verifyAgainstDummy, verifyPassword } from "../../services/password.ts";
import { liveSession } from "../../services/sessions.ts";
import { hashToken, newRefreshToken, nextRefreshToken, signAccessToken } from "../../services/tokens.ts";
import type { UserRecord } from "../users/users.schemas.ts";

export interface TokenPair {
  access_token: string;
  refresh_token: string;
  token_type: "Bearer";
  expires_in: number;
  refresh_expires_in: number;
}

const eventValues = (client: ClientInfo) => ({ ip: client.ip, userAgent: client.userAgent });

export interface RegisterInput {
  username: string;
  email: string;
  password: string;
  fullName?: string | null;
}

/**
 * Creates an account. The password is hashed before the insert whether or not the names are free,
 * and the 409 does not say which one is taken, so neither the answer nor its timing tells.
 */
export async function registerUser(db: Db, input: RegisterInput): Promise<UserRecord> {
  const passwordHash = await hashPassword(input.password);
  const [user] = await db
    .insert(users)
    .values({ username: input.username, email: input.email, passwordHash, fullName: input.fullName ?? null })
    .onConflictDoNothing()
    .returning();
  if (!user)
    throw new ApiError(409, "account_exists", { detail: "That username or e-mail is already registered." });
  return user;
}

/**
 * Per-account throttle of failed logins, consulted after the account lookup and before any hashing.
 * `key` is the account id, or the normalised identifier when no such account exists.
 */
export interface LoginGuard {
  /** Throws (429) when this account has had too many recent failures. */
  check(key: string): Promise<void>;
  recordFailure(key: string): Promise<void>;
}

export interface LoginInput {
  identifier: string;
  password: string;
  rememberMe: boolean;
  client: ClientInfo;
}

/** One generic 401 for every failure: unknown user, wrong password, inactive account. */
export async function login(
  db: Db,
  config: Config,
  input: LoginInput,
  guard: LoginGuard,
): Promise<{ pair: TokenPair; userId: string }> {
  const [user] = await db
    .select({ id: users.id, passwordHash: users.passwordHash, role: users.role, isActive: users.isActive })
    .from(users)
    .where(
      or(
        sql`lower(${users.username}) = lower(${input.identifier})`,
        sql`lower(${users.email}) = lower(${input.identifier})`,
      ),
    )
    .limit(1);

  const accountKey = user ? `account:${user.id}` : `name:${input.identifier.toLowerCase()}`;
  await guard.check(accountKey);

  // The same single hash computation whether or not the account exists.
  const check = user
    ? await verifyPassword(input.password, user.passwordHash)
    : { ok: await verifyAgainstDummy(input.password), needsRehash: false };
  if (!user || !check.ok || !user.isActive) {
    await Promise.all([
      db.insert(securityEvents).values({
        userId: user?.id ?? null,
        type: "login_failed",
        ...eventValues(input.client),
        metadata: { reason: !user ? "unknown_account" : !check.ok ? "wrong_password" : "inactive_account" },
      }),
      guard.recordFailure(accountKey),
    ]);
    throw unauthorized("Incorrect username or password.");
  }

  const sessionId = crypto.randomUUID();
  const refreshToken = newRefreshToken();
  const refreshTtl = input.rememberMe
    ? config.REMEMBER_ME_REFRESH_TOKEN_TTL_SECONDS
    : config.REFRESH_TOKEN_TTL_SECONDS;
  const rehash = check.needsRehash ? await hashPassword(input.password) : undefined;
  await db.batch([
    db.insert(sessions).values({
      id: sessionId,
      userId: user.id,
      refreshHash: await hashToken(refreshToken),
      rememberMe: input.rememberMe,
      expiresAt: sql`now() + make_interval(secs => ${refreshTtl})`,
      userAgent: input.client.userAgent,
      ip: input.client.ip,
      country: input.client.country,
      city: input.client.city,
    }),
    db
      .update(users)
      .set({ lastLogin: sql`now()`, ...(rehash ? { passwordHash: rehash } : {}) })
      .where(eq(users.id, user.id)),
    db.insert(securityEvents).values({
      userId: user.id,
      type: "login_succeeded",
      ...eventValues(input.client),
      metadata: { session_id: sessionId },
    }),
  ]);
  const access = await signAccessToken(config, { userId: user.id, sessionId, role: user.role });
  return {
    userId: user.id,
    pair: {
      access_token: access.token,
      refresh_token: refreshToken,
      token_type: "Bearer",
      expires_in: access.expiresIn,
      refresh_expires_in: refreshTtl,
    },
  };
}

/**
 * Rotates a refresh token in one statement.
 *
 * - The current token: the session moves on to its derived successor (see `nextRefreshToken`).
 * - The token just replaced, within REFRESH_REUSE_GRACE_SECONDS (concurrent tabs, a lost response):
 *   nothing changes and the caller gets the current pair, because the successor derives again.
 * - Any older token, or the replaced one after the grace: a replay, so the whole session is revoked
 *   and a `refresh_token_reused` security event is written, in the same statement.
 */
export async function refresh(
  db: Db,
  config: Config,
  presented: string,
  client: ClientInfo,
): Promise<TokenPair> {
  const presentedHash = await hashToken(presented);
  const successor = await nextRefreshToken(config, presented);
  const successorHash = await hashToken(successor);
  const grace = config.REFRESH_REUSE_GRACE_SECONDS;
  const result = await db.execute<{
    id: string;
    user_id: string;
    role: AuthContext["role"];
    refresh_hash: string;
    revoked_at: string | null;
    remember_me: boolean;
  }>(sql`
    with upd as (
      update sessions s set
        refresh_hash = case when s.refresh_hash = ${presentedHash} then ${successorHash} else s.refresh_hash end,
        previous_refresh_hash = case when s.refresh_hash = ${presentedHash} then s.refresh_hash else s.previous_refresh_hash end,
        retired_refresh_hashes = case when s.refresh_hash = ${presentedHash}
          then (s.retired_refresh_hashes || s.refresh_hash)[greatest(1, cardinality(s.retired_refresh_hashes) - 98):]
          else s.retired_refresh_hashes end,
        rotated_at = case when s.refresh_hash = ${presentedHash} then now() else s.rotated_at end,
        expires_at = case when s.refresh_hash = ${presentedHash}
          then now() + make_interval(secs => case when s.remember_me then ${config.REMEMBER_ME_REFRESH_TOKEN_TTL_SECONDS}::int else ${config.REFRESH_TOKEN_TTL_SECONDS}::int end)
          else s.expires_at end,
        revoked_at = case when s.refresh_hash <> ${presentedHash}
            and (s.previous_refresh_hash is distinct from ${presentedHash} or s.rotated_at < now() - make_interval(secs => ${grace}))
          then now() else null end,
        last_used_at = now(),
        ip = coalesce(${client.ip}, s.ip),
        user_agent = coalesce(${client.userAgent}, s.user_agent)
      from users u
      where u.id = s.user_id and u.is_active
        and s.revoked_at is null and s.expires_at > now()
        and (s.refresh_hash = ${presentedHash} or s.previous_refresh_hash = ${presentedHash}
             or s.retired_refresh_hashes @> array[${presentedHash}]::text[])
      returning s.id, s.user_id, u.role, s.refresh_hash, s.revoked_at, s.remember_me
    ), reuse_event as (
      insert into security_events (user_id, type, ip, user_agent, metadata)
      select user_id, 'refresh_token_reused', ${client.ip}, ${client.userAgent}, jsonb_build_object('session_id', id)
      from upd where revoked_at is not null
    )
    select * from upd`);
  const row = result.rows[0];
  // Unknown, expired or revoked token, a replay (session now revoked), or a grace replay whose
  // successor has itself been rotated since: all the same 401.
  if (!row || row.revoked_at !== null || row.refresh_hash !== successorHash) {
    throw unauthorized("The refresh token is invalid, expired or has been revoked.");
  }
  const access = await signAccessToken(config, { userId: row.user_id, sessionId: row.id, role: row.role });
  return {
    access_token: access.token,
    refresh_token: successor,
    token_type: "Bearer",
    expires_in: access.expiresIn,
    refresh_expires_in: row.remember_me
      ? config.REMEMBER_ME_REFRESH_TOKEN_TTL_SECONDS
      : config.REFRESH_TOKEN_TTL_SECONDS,
  };
}

/** Ends this session; 401 when it was already gone (checked in the same statement). */
export async function logout(db: Db, auth: AuthContext, client: ClientInfo): Promise<void> {
  const result = await db.execute(sql`
    with upd as (
      update sessions set revoked_at = now()
      where id = ${auth.sessionId} and user_id = ${auth.userId} and revoked_at is null and expires_at > now()
      returning id, user_id
    ), ev as (
      insert into security_events (user_id, type, ip, user_agent, metadata)
      select user_id, 'logout', ${client.ip}, ${client.userAgent}, jsonb_build_object('session_id', id, 'scope', 'session') from upd
    )
    select id from upd`);
  if (result.rows.length === 0) throw unauthorized();
}

/** Ends every session of the user, provided the caller's own session is live. */
export async function logoutAll(db: Db, auth: AuthContext, client: ClientInfo): Promise<number> {
  const result = await db.execute<{ live: boolean; revoked: number }>(sql`
    with me as (select ${liveSession(auth)} as live),
    upd as (
      update sessions set revoked_at = now()
      where user_id = ${auth.userId} and revoked_at is null and (select live from me)
      returning id
    ), ev as (
      insert into security_events (user_id, type, ip, user_agent, metadata)
      select ${auth.userId}::uuid, 'logout', ${client.ip}, ${client.userAgent},
             jsonb_build_object('scope', 'all', 'sessions', (select count(*) from upd))
      where (select live from me)
    )
    select (select live from me) as live, (select count(*) from upd)::int as revoked`);
  const row = result.rows[0];
  if (!row?.live) throw unauthorized();
  return Number(row.revoked);
}

/** Checks the current password and returns the account's stored hash (session checked in the same query). */
export async function currentPasswordHash(db: Db, auth: AuthContext): Promise<string> {
  const [row] = await db
    .select({ passwordHash: users.passwordHash })
    .from(users)
    .where(and(eq(users.id, auth.userId), eq(users.isActive, true), liveSession(auth)));
  if (!row) throw unauthorized();
  return row.passwordHash;
}

export const wrongPassword = () =>
  new ApiError(403, "invalid_password", { detail: "The password is not correct." });

/** Changes the password and ends every other session of the user. */
export async function changePassword(
  db: Db,
  auth: AuthContext,
  input: { currentPassword: string; newPassword: string },
  client: ClientInfo,
): Promise<number> {
  const stored = await currentPasswordHash(db, auth);
  if (!(await verifyPassword(input.currentPassword, stored)).ok) throw wrongPassword();
  const passwordHash = await hashPassword(input.newPassword);
  const [, revoked] = await db.batch([
    db.update(users).set({ passwordHash, updatedAt: sql`now()` }).where(eq(users.id, auth.userId)),
    db
      .update(sessions)
      .set({ revokedAt: sql`now()` })
      .where(
        and(eq(sessions.userId, auth.userId), ne(sessions.id, auth.sessionId), isNull(sessions.revokedAt)),
      )
      .returning({ id: sessions.id }),
    db
      .insert(securityEvents)
      .values({ userId: auth.userId, type: "password_changed", ...eventValues(client) }),
  ]);
  return revoked.length;
}
