/**
 * E-mail verification and password reset: one-time tokens sent through the outbox. No Hono types
 * here; the handlers queue the returned outbox ids off the response path.
 */
import { sql } from "drizzle-orm";
import type { Db } from "../../db/client.ts";
import type { Config } from "../../env.ts";
import type { ClientInfo } from "../../lib/client-info.ts";
import { ApiError } from "../../lib/errors.ts";
import { resetPasswordMessage, verifyEmailMessage } from "../../services/mailer/templates.ts";
import { prepareTokenEmail, tokenEmailCtes } from "../../services/outbox.ts";
import { hashPassword } from "../../services/password.ts";
import type { SessionGate } from "../../services/session-gate.ts";
import { hashToken } from "../../services/tokens.ts";

/** The one answer for an unknown, used, expired or wrong-purpose token. */
export const invalidToken = () =>
  new ApiError(400, "invalid_token", { detail: "The token is invalid, expired or has already been used." });

/**
 * Consumes a verification token and marks the address verified, in one statement: the token is used
 * only if it is live, of the right purpose, and still names the user's current address (a token sent
 * before an e-mail change verifies nothing). Writes an `email_verified` event.
 */
export async function verifyEmail(db: Db, token: string, client: ClientInfo): Promise<void> {
  const tokenHash = await hashToken(token);
  const result = await db.execute<{ verified: number }>(sql`
    with t as (
      update one_time_tokens t set used_at = now()
      from users u
      where t.token_hash = ${tokenHash} and t.purpose = 'verify_email' and t.used_at is null
        and t.expires_at > now() and u.id = t.user_id and lower(u.email) = lower(t.email)
      returning t.user_id, t.email
    ), u as (
      update users set email_verified_at = coalesce(email_verified_at, now()), updated_at = now()
      from t where users.id = t.user_id
      returning users.id, t.email
    ), ev as (
      insert into security_events (user_id, type, ip, user_agent, metadata)
      select id, 'email_verified', ${client.ip}, ${client.userAgent}, jsonb_build_object('email', email) from u
    )
    select count(*)::int as verified from u`);
  if (Number(result.rows[0]?.verified ?? 0) === 0) throw invalidToken();
}

/**
 * A new verification e-mail for the caller, in one gated statement. Returns the outbox id to queue,
 * or null when the address is already verified (nothing is sent; the answer is the same 202).
 */
export async function resendVerification(db: Db, config: Config, gate: SessionGate): Promise<string | null> {
  const mail = await prepareTokenEmail("verify_email", (token) => verifyEmailMessage(config.APP_URL, token));
  const result = await db.execute<{ ok: boolean; queued: number }>(sql`
    with me as (
      select id, email from users where id = ${gate.userId} and email_verified_at is null
    ), ${tokenEmailCtes(mail, sql`me`)}
    select ${gate.passes} as ok, (select count(*) from mail)::int as queued`);
  const row = result.rows[0];
  if (!row?.ok) throw gate.denied();
  return Number(row.queued) > 0 ? mail.outboxId : null;
}

/**
 * Starts a password reset: one statement that writes a token and its e-mail only if an active
 * account has this address. The same work (token, rendering, one round trip) happens either way, so
 * neither the answer nor its timing says whether the account exists. Returns the outbox id to queue,
 * or null when nothing was written.
 */
export async function requestPasswordReset(db: Db, config: Config, email: string): Promise<string | null> {
  const mail = await prepareTokenEmail("reset_password", (token) =>
    resetPasswordMessage(config.APP_URL, token),
  );
  const result = await db.execute<{ queued: number }>(sql`
    with u as (
      select id, email from users where lower(email) = lower(${email}) and is_active
    ), ${tokenEmailCtes(mail, sql`u`)}
    select (select count(*) from mail)::int as queued`);
  return Number(result.rows[0]?.queued ?? 0) > 0 ? mail.outboxId : null;
}

/**
 * Completes a password reset in two round trips: a read that the token is live (so a bad token
 * costs no password hashing), then one statement that consumes it (again atomically: of two
 * concurrent confirmations only one wins), sets the hash, ends every session, retires the user's
 * other reset tokens and writes a `password_reset` event. Returns how many sessions ended.
 */
export async function confirmPasswordReset(
  db: Db,
  input: { token: string; newPassword: string },
  client: ClientInfo,
): Promise<number> {
  const tokenHash = await hashToken(input.token);
  const live = await db.execute(sql`
    select 1 from one_time_tokens
    where token_hash = ${tokenHash} and purpose = 'reset_password' and used_at is null and expires_at > now()`);
  if (live.rows.length === 0) throw invalidToken();
  const passwordHash = await hashPassword(input.newPassword);
  const result = await db.execute<{ reset: number; ended: number }>(sql`
    with t as (
      update one_time_tokens set used_at = now()
      where token_hash = ${tokenHash} and purpose = 'reset_password' and used_at is null and expires_at > now()
      returning user_id
    ), u as (
      update users set password_hash = ${passwordHash}, updated_at = now()
      from t where users.id = t.user_id and users.is_active
      returning users.id
    ), others as (
      update one_time_tokens set used_at = now()
      where user_id in (select id from u) and purpose = 'reset_password' and used_at is null
        and token_hash <> ${tokenHash}
    ), ended as (
      update sessions set revoked_at = now()
      where user_id in (select id from u) and revoked_at is null
      returning id
    ), ev as (
      insert into security_events (user_id, type, ip, user_agent, metadata)
      select id, 'password_reset', ${client.ip}, ${client.userAgent},
             jsonb_build_object('sessions_ended', (select count(*) from ended)) from u
    )
    select (select count(*) from u)::int as reset, (select count(*) from ended)::int as ended`);
  const row = result.rows[0];
  if (!row || Number(row.reset) === 0) throw invalidToken();
  return Number(row.ended);
}
