/**
 * The e-mail outbox (see db/schema/email.ts): writing a message together with the change that
 * causes it, queueing it, delivering it exactly once per row, and re-driving what a crash left.
 */
import { type SQL, sql } from "drizzle-orm";
import type { Db } from "../db/client.ts";
import type { OneTimeTokenPurpose, RenderedEmail } from "../db/schema/email.ts";
import type { Config } from "../env.ts";
import { describeError } from "../lib/error-log.ts";
import type { Logger } from "../lib/logger.ts";
import { retryDelaySeconds } from "../queues/consumer.ts";
import type { JobMessage } from "../queues/messages.ts";
import type { Mailer } from "./mailer/index.ts";
import type { EmailTemplate } from "./mailer/templates.ts";
import { hashToken, newRefreshToken } from "./tokens.ts";

/** Queue message kind of an outbox row. */
export const EMAIL_JOB = "email";

/** Lifetimes of one-time tokens, in seconds. */
export const TOKEN_TTL_SECONDS: Record<OneTimeTokenPurpose, number> = {
  verify_email: 24 * 3600,
  reset_password: 3600,
};

/** A pending row older than this is assumed to have lost its queue message. */
export const REDRIVE_AFTER_SECONDS = 120;
/** A claim lasts this long; a row still `sending` after it belonged to a consumer that died. */
export const SENDING_LEASE_SECONDS = 15 * 60;
/** Rows re-driven per cron run (one `sendBatch` holds at most 100 messages). */
const REDRIVE_BATCH = 100;

/** A one-time token and the message that carries it, ready to be written in one statement. */
export interface TokenEmail {
  outboxId: string;
  tokenHash: string;
  purpose: OneTimeTokenPurpose;
  template: EmailTemplate;
  payload: RenderedEmail;
}

/** Draws a token (256 random bits) and renders its message; only the hash will be stored. */
export async function prepareTokenEmail(
  purpose: OneTimeTokenPurpose,
  render: (token: string) => RenderedEmail,
): Promise<TokenEmail> {
  const token = newRefreshToken();
  return {
    outboxId: crypto.randomUUID(),
    tokenHash: await hashToken(token),
    purpose,
    template: purpose,
    payload: render(token),
  };
}

/**
 * Two data-modifying CTEs, `tok` and `mail`, that insert the token and its outbox row for every row
 * of `source` (a CTE with columns `id` (user id) and `email`). Used inside the statement that makes
 * the change, so the change, its token and its e-mail commit together or not at all.
 *
 * @example
 * sql`with u as (select id, email from users where ...), ${tokenEmailCtes(prepared, sql`u`)} select count(*) from mail`
 */
export function tokenEmailCtes(prepared: TokenEmail, source: SQL): SQL {
  return sql`tok as (
      insert into one_time_tokens (token_hash, user_id, purpose, email, expires_at)
      select ${prepared.tokenHash}, id, ${prepared.purpose}::one_time_token_purpose, email,
             now() + make_interval(secs => ${TOKEN_TTL_SECONDS[prepared.purpose]})
      from ${source}
    ), mail as (
      insert into email_outbox (id, "to", template, payload)
      select ${prepared.outboxId}::uuid, email, ${prepared.template}, ${JSON.stringify(prepared.payload)}::jsonb
      from ${source}
      returning id
    )`;
}

/**
 * Puts `{kind: "email", id}` on the queue. Never throws: the row is already committed, and a row
 * whose message was lost is re-driven by the cron trigger. Meant for `waitUntil`, off the response.
 */
export async function enqueueEmail(queue: Queue, id: string, logger: Logger): Promise<void> {
  try {
    await queue.send({ kind: EMAIL_JOB, id } satisfies JobMessage);
  } catch (err) {
    logger.error("queueing an e-mail failed; the cron trigger will re-drive it", {
      email_id: id,
      error: describeError(err),
    });
  }
}

/** What one delivery attempt did. */
export type DeliveryOutcome = "sent" | "skipped" | "failed";

/** Thrown to make the queue retry (with backoff) a message whose send failed. */
export class EmailRetry extends Error {
  override name = "EmailRetry";
}

/**
 * Delivers outbox row `id`. The claim (`pending` → `sending`, attempts + 1) is one atomic UPDATE,
 * so a duplicate or concurrent delivery of the same message finds nothing to do. A failed send puts
 * the row back to `pending` and throws (the consumer retries with backoff); the attempt that reaches
 * EMAIL_MAX_ATTEMPTS marks it `failed` and returns, so the message is acknowledged instead of going
 * to the dead-letter queue.
 */
export async function deliverEmail(
  db: Db,
  config: Config,
  mailer: Mailer,
  id: string,
  logger: Logger,
): Promise<DeliveryOutcome> {
  const claimed = await db.execute<{ to: string; payload: RenderedEmail; attempts: number }>(sql`
    update email_outbox
    set status = 'sending', attempts = attempts + 1,
        next_attempt_at = now() + make_interval(secs => ${SENDING_LEASE_SECONDS})
    where id = ${id} and status = 'pending' and attempts < ${config.EMAIL_MAX_ATTEMPTS}
    returning "to", payload, attempts`);
  const row = claimed.rows[0];
  if (!row) return "skipped";
  try {
    await mailer.send({ id, to: row.to, ...row.payload });
  } catch (err) {
    const error = describeError(err);
    const attempts = Number(row.attempts);
    const result = await db.execute<{ status: string }>(sql`
      update email_outbox
      set status = case when attempts >= ${config.EMAIL_MAX_ATTEMPTS} then 'failed'::email_status else 'pending'::email_status end,
          last_error = ${`${error.name}: ${error.message}`.slice(0, 500)},
          next_attempt_at = now() + make_interval(secs => ${retryDelaySeconds(attempts)})
      where id = ${id} and status = 'sending'
      returning status`);
    if (result.rows[0]?.status === "failed") {
      logger.error("e-mail failed for good", { email_id: id, attempts, error });
      return "failed";
    }
    throw new EmailRetry(`sending e-mail ${id} failed (attempt ${attempts})`, { cause: err });
  }
  await db.execute(sql`
    update email_outbox set status = 'sent', sent_at = now(), last_error = null
    where id = ${id} and status = 'sending'`);
  return "sent";
}

/**
 * Cron: finds rows whose queue message was lost (pending for REDRIVE_AFTER_SECONDS past their due
 * time) or whose consumer died mid-send (`sending` past the lease), makes them pending and due now,
 * and queues them again. Returns how many were re-driven.
 */
export async function redriveEmails(db: Db, config: Config, queue: Queue): Promise<number> {
  const result = await db.execute<{ id: string; status: string }>(sql`
    update email_outbox o
    set status = case when o.status = 'sending' and o.attempts >= ${config.EMAIL_MAX_ATTEMPTS}
                      then 'failed'::email_status else 'pending'::email_status end,
        last_error = case when o.status = 'sending' then 'claim lapsed: the consumer stopped mid-send' else o.last_error end,
        next_attempt_at = now()
    where o.id in (
      select id from email_outbox
      where (status = 'pending' and next_attempt_at < now() - make_interval(secs => ${REDRIVE_AFTER_SECONDS}))
         or (status = 'sending' and next_attempt_at < now())
      order by next_attempt_at
      limit ${REDRIVE_BATCH}
      for update skip locked
    )
    returning o.id, o.status`);
  const due = result.rows.filter((r) => r.status === "pending");
  if (due.length > 0) {
    await queue.sendBatch(due.map((r) => ({ body: { kind: EMAIL_JOB, id: r.id } satisfies JobMessage })));
  }
  return due.length;
}
