/**
 * Accounts and sessions: registration, login, refresh rotation, logout, password change.
 * No Hono types here; every function costs at most two database round trips. Functions acting for a
 * signed-in caller take the session gate and name the caller only through it.
 */
import { eq, or, sql } from "drizzle-orm";
import type { Db } from "../../db/client.ts";
import { securityEvents, sessions, users } from "../../db/schema/index.ts";
import type { UserRole } from "../../db/schema/users.ts";
import type { Config } from "../../env.ts";
import type { ClientInfo } from "../../lib/client-info.ts";
import { ApiError, unauthorized } from "../../lib/errors.ts";
import { verifyEmailMessage } from "../../services/mailer/templates.ts";
import { count } from "../../services/metrics/index.ts";
import { prepareTokenEmail, tokenEmailCtes } from "../../services/outbox.ts";
import { hashPassword, verifyAgainstDummy, verifyPassword } from "../../services/password.ts";
import type { SessionGate } from "../../services/session-gate.ts";
import { hashToken, newRefreshToken, nextRefreshToken, signAccessToken } from "../../services/tokens.ts";
import { type UserRecord, userFromSqlRow } from "../users/users.schemas.ts";

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
 * Creates an account and its verification e-mail (token + outbox row) in one statement, so an
 * account never exists without the message that lets it verify. The password is hashed before the
 * insert whether or not the names are free, and the 409 does not say which one is taken, so neither
 * the answer nor its timing tells. Returns the user and the outbox row to queue.
 */
export async function registerUser(
  db: Db,
  config: Config,
  input: RegisterInput,
): Promise<{ user: UserRecord; emailId: string }> {
  const passwordHash = await hashPassword(input.password);
  const mail = await prepareTokenEmail("verify_email", (token) => verifyEmailMessage(config.APP_URL, token));
  const result = await db.execute(sql`
    with u as (
      insert into users (username, email, password_hash, full_name)
      values (${input.username}, ${input.email}, ${passwordHash}, ${input.fullName ?? null})
      on conflict do nothing
      returning *
    ), converted as (
      -- A pre-registration of the address (if any) is marked converted in the same statement.
      update pre_registrations set converted_at = now()
      where lower(email) = lower((select email from u)) and converted_at is null
    ), ${tokenEmailCtes(mail, sql`u`)}
    select * from u`);
  const row = result.rows[0];
  if (!row)
    throw new ApiError(409, "account_exists", { detail: "That username or e-mail is already registered." });
  return { user: userFromSqlRow(row), emailId: mail.outboxId };
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
      // Never past the session's absolute lifetime, however long the refresh lifetime is set.
      expiresAt: sql`now() + make_interval(secs => ${Math.min(refreshTtl, config.SESSION_MAX_LIFETIME_SECONDS)})`,
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
      refresh_expires_in: Math.min(refreshTtl, config.SESSION_MAX_LIFETIME_SECONDS),
    },
  };
}

/**
 * Rotates a refresh token in one statement.
 *
 * - The current token: the session moves on to its derived successor (see `nextRefreshToken`), and
 *   the presented hash joins `retired_refresh_tokens`.
 * - The token just replaced, within REFRESH_REUSE_GRACE_SECONDS (concurrent tabs, a lost response):
 *   nothing changes and the caller gets the current pair, because the successor derives again.
 * - Any older token, however many rotations ago, or the replaced one after the grace: a replay, so
 *   the whole session is revoked and a `refresh_token_reused` security event is written, in the
 *   same statement.
 *
 * The new expiry is the refresh lifetime from now, capped at the session's absolute lifetime
 * (SESSION_MAX_LIFETIME_SECONDS from login), which no refresh extends.
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
  const maxLifetime = config.SESSION_MAX_LIFETIME_SECONDS;
  const result = await db.execute<{
    id: string;
    user_id: string;
    role: UserRole;
    refresh_hash: string;
    revoked_at: string | null;
    expires_in: number;
  }>(sql`
    with hit as (
      select id from sessions where refresh_hash = ${presentedHash}
      union all select id from sessions where previous_refresh_hash = ${presentedHash}
      union all select session_id from retired_refresh_tokens where token_hash = ${presentedHash}
      limit 1
    ), upd as (
      update sessions s set
        refresh_hash = case when s.refresh_hash = ${presentedHash} then ${successorHash} else s.refresh_hash end,
        previous_refresh_hash = case when s.refresh_hash = ${presentedHash} then s.refresh_hash else s.previous_refresh_hash end,
        rotated_at = case when s.refresh_hash = ${presentedHash} then now() else s.rotated_at end,
        expires_at = case when s.refresh_hash = ${presentedHash}
          then least(
            now() + make_interval(secs => case when s.remember_me then ${config.REMEMBER_ME_REFRESH_TOKEN_TTL_SECONDS}::int else ${config.REFRESH_TOKEN_TTL_SECONDS}::int end),
            s.created_at + make_interval(secs => ${maxLifetime}::int))
          else s.expires_at end,
        revoked_at = case when s.refresh_hash <> ${presentedHash}
            and (s.previous_refresh_hash is distinct from ${presentedHash} or s.rotated_at < now() - make_interval(secs => ${grace}))
          then now() else null end,
        last_used_at = now(),
        ip = coalesce(${client.ip}, s.ip),
        user_agent = coalesce(${client.userAgent}, s.user_agent)
      from users u
      where s.id = (select id from hit) and u.id = s.user_id and u.is_active
        and s.revoked_at is null and s.expires_at > now()
      returning s.id, s.user_id, u.role, s.refresh_hash, s.previous_refresh_hash, s.revoked_at,
        greatest(0, floor(extract(epoch from s.expires_at - now())))::int as expires_in
    ), retire as (
      -- Both the rotating request and a concurrent grace replay land here; the first insert wins.
      insert into retired_refresh_tokens (token_hash, session_id)
      select ${presentedHash}, id from upd
      where revoked_at is null and refresh_hash = ${successorHash} and previous_refresh_hash = ${presentedHash}
      on conflict do nothing
    ), reuse_event as (
      insert into security_events (user_id, type, ip, user_agent, metadata)
      select user_id, 'refresh_token_reused', ${client.ip}, ${client.userAgent}, jsonb_build_object('session_id', id)
      from upd where revoked_at is not null
    )
    select id, user_id, role, refresh_hash, revoked_at, expires_in from upd`);
  const row = result.rows[0];
  if (row && row.revoked_at !== null) count(config, "refresh_token_reuse_total");
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
    refresh_expires_in: Number(row.expires_in),
  };
}

/** `insert into security_events ... select` for the caller, written only while the gate passes. */
const callerEvent = (gate: SessionGate, type: string, client: ClientInfo, metadata: ReturnType<typeof sql>) =>
  sql`insert into security_events (user_id, type, ip, user_agent, metadata)
      select ${gate.userId}, ${type}::security_event_type, ${client.ip}, ${client.userAgent}, ${metadata}
      where ${gate.passes}`;

/** Ends this session (and writes a `logout` event) in one statement. */
export async function logout(db: Db, gate: SessionGate, client: ClientInfo): Promise<void> {
  const result = await db.execute(sql`
    with upd as (
      update sessions set revoked_at = now() where id = ${gate.sessionId}
      returning id, user_id
    ), ev as (
      insert into security_events (user_id, type, ip, user_agent, metadata)
      select user_id, 'logout', ${client.ip}, ${client.userAgent}, jsonb_build_object('session_id', id, 'scope', 'session') from upd
    )
    select id from upd`);
  if (result.rows.length === 0) throw gate.denied();
}

/** Ends every session of the caller in one statement; returns how many were live. */
export async function logoutAll(db: Db, gate: SessionGate, client: ClientInfo): Promise<number> {
  const result = await db.execute<{ revoked: number }>(sql`
    with upd as (
      update sessions set revoked_at = now()
      where user_id = ${gate.userId} and revoked_at is null and expires_at > now()
      returning id
    ), ev as (
      ${callerEvent(gate, "logout", client, sql`jsonb_build_object('scope', 'all', 'sessions', (select count(*) from upd))`)}
    )
    select count(*)::int as revoked from upd`);
  const revoked = Number(result.rows[0]?.revoked ?? 0);
  // The caller's own session is live whenever the gate passes, so none ended means it did not.
  if (revoked === 0) throw gate.denied();
  return revoked;
}

/** The caller's stored password hash (one gated read), for re-authentication. */
export async function currentPasswordHash(db: Db, gate: SessionGate): Promise<string> {
  const [row] = await db
    .select({ passwordHash: users.passwordHash })
    .from(users)
    .where(eq(users.id, gate.userId));
  if (!row) throw gate.denied();
  return row.passwordHash;
}

export const wrongPassword = () =>
  new ApiError(403, "invalid_password", { detail: "The password is not correct." });

/** Re-authenticates the caller with `password` (403 `invalid_password` when wrong). */
export async function reauthenticate(db: Db, gate: SessionGate, password: string): Promise<void> {
  const stored = await currentPasswordHash(db, gate);
  if (!(await verifyPassword(password, stored)).ok) throw wrongPassword();
}

/**
 * Changes the password and ends every other live session of the caller: two round trips (the
 * gated read of the hash, then one statement that writes the hash, the revocations and the event).
 * Returns how many other sessions ended.
 */
export async function changePassword(
  db: Db,
  gate: SessionGate,
  input: { currentPassword: string; newPassword: string },
  client: ClientInfo,
): Promise<number> {
  await reauthenticate(db, gate, input.currentPassword);
  const passwordHash = await hashPassword(input.newPassword);
  const result = await db.execute<{ changed: boolean; ended: number }>(sql`
    with me as (
      update users set password_hash = ${passwordHash}, updated_at = now()
      where id = ${gate.userId} returning id
    ), ended as (
      update sessions set revoked_at = now()
      where user_id = (select id from me) and id <> ${gate.tokenSessionId}
        and revoked_at is null and expires_at > now()
      returning id
    ), ev as (
      insert into security_events (user_id, type, ip, user_agent, metadata)
      select id, 'password_changed', ${client.ip}, ${client.userAgent},
             jsonb_build_object('sessions_ended', (select count(*) from ended)) from me
    )
    select exists (select 1 from me) as changed, (select count(*) from ended)::int as ended`);
  const row = result.rows[0];
  if (!row?.changed) throw gate.denied();
  return Number(row.ended);
}
