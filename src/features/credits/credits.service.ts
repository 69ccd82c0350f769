/**
 * Credits: the balance on `users.credits` and its append-only `credit_ledger`, always changed
 * together in ONE statement, so neither can exist without the other.
 *
 * Concurrency: the booking locks the user's row (`select ... for update`) before it computes the
 * new balance, so concurrent bookings for one user are serialised by Postgres and every
 * `balance_after` is the balance that booking produced. A second booking of the same
 * `(reason, reference)` is refused twice over: a `not exists` in the statement (the common case)
 * and the unique constraint (two concurrent deliveries both passing the `not exists`): the loser's
 * whole statement, balance update included, is rolled back by the unique violation and reported as
 * `duplicate`. `users.credits >= 0` is a CHECK constraint, so no code path can go negative.
 */

import { type SQL, sql } from "drizzle-orm";
import type { Db } from "../../db/client.ts";
import type { CreditReason } from "../../db/schema/billing.ts";
import type { Config } from "../../env.ts";
import type { ClientInfo } from "../../lib/client-info.ts";
import { ApiError } from "../../lib/errors.ts";
import { isUniqueViolation, isUuid } from "../../lib/postgres.ts";
import type { SessionGate } from "../../services/session-gate.ts";

/** Anything that runs a drizzle SQL statement (the request-path client, a transaction). */
export type SqlRunner = Pick<Db, "execute">;

/** A ledger row as the API shows it. */
export interface LedgerEntry {
  id: number;
  delta: number;
  balance_after: number;
  reason: CreditReason;
  reference: string;
  created_at: string;
}

export interface Booking {
  /** The account: a UUID value, or SQL (e.g. `gate.userId`, a subquery) that yields one or NULL. */
  userId: string | SQL;
  /** Credits to add (negative: to take); SQL allowed (evaluated once, before the row is locked). */
  delta: number | SQL;
  reason: CreditReason;
  /** With `reason`, what makes this booking unique (a session id, a task id, a generated id). */
  reference: string | SQL;
  /** Who booked it (admins): the audit trail lives in the ledger row itself. */
  actorId?: string | SQL | null;
  note?: string | null;
  /** The payment this belongs to (a Stripe PaymentIntent id). */
  externalRef?: string | null;
  /**
   * Take what the balance allows instead of refusing: the row records the shortfall in
   * `uncollected` (refunds of credits already spent).
   */
  clampAtZero?: boolean;
  /** Extra CTE definitions placed before the booking (e.g. an idempotency-record insert). */
  before?: SQL;
  /** A condition the booking needs (checked before the row is locked), e.g. `exists (select 1 from ev)`. */
  when?: SQL;
  /** Extra columns for the statement's one result row, e.g. `exists (select 1 from ev) as fresh`. */
  also?: SQL;
  /** Extra CTE definitions after the booking; `credit_upd` has `id, credits, delta` of a booked change. */
  after?: SQL;
}

export type BookingStatus = "booked" | "duplicate" | "insufficient" | "no_user" | "skipped";

export interface BookingResult {
  status: BookingStatus;
  /** The new ledger row when booked. */
  entry?: LedgerEntry & { uncollected: number };
  /** The balance after the booking (booked) or the balance that refused it (insufficient). */
  balance?: number;
  /** The statement's row (for the `also` columns). */
  row: Record<string, unknown>;
}

/**
 * The single statement of a booking (see the module comment). Its one row has `entry` (the
 * ledger row as JSON, or NULL), `balance`, `user_exists`, `duplicate` and any `also` columns.
 */
export function bookCreditsSql(b: Booking): SQL {
  const delta = sql`(${b.delta})::int`;
  const reference = sql`(${b.reference})::text`;
  const reason = sql`${b.reason}::credit_reason`;
  return sql`
    with ${b.before ? sql`${b.before},` : sql``}
    credit_cur as (
      select u.id, u.credits from users u
      where u.id = ${b.userId} and ${b.when ?? sql`true`}
        and not exists (select 1 from credit_ledger l where l.reason = ${reason} and l.reference = ${reference})
      for update
    ),
    credit_amt as (
      select c.id, ${delta} as requested,
        ${b.clampAtZero ? sql`greatest(${delta}, -c.credits)` : delta} as delta
      from credit_cur c
    ),
    credit_upd as (
      update users u set credits = u.credits + a.delta
      from credit_amt a where u.id = a.id and u.credits + a.delta >= 0
      returning u.id, u.credits, a.delta, a.requested
    ),
    credit_ins as (
      insert into credit_ledger (user_id, delta, balance_after, reason, reference, actor_id, note, external_ref, uncollected)
      select id, delta, credits, ${reason}, ${reference}, ${b.actorId ?? null}, ${b.note ?? null},
             ${b.externalRef ?? null}, delta - requested
      from credit_upd
      returning id, delta, balance_after, reason, reference, created_at, uncollected
    )${b.after ? sql`, ${b.after}` : sql``}
    select (select row_to_json(i) from credit_ins i) as entry,
      coalesce((select credits from credit_upd), (select credits from credit_cur)) as balance,
      exists (select 1 from users where id = ${b.userId}) as user_exists,
      exists (select 1 from credit_ledger l where l.reason = ${reason} and l.reference = ${reference}) as duplicate,
      (select count(*) from credit_cur) > 0 as attempted
      ${b.also ? sql`, ${b.also}` : sql``}`;
}

/**
 * Books `delta` credits for a user in one statement (one round trip) and says what happened:
 * `booked`, `duplicate` (this reason and reference is already in the ledger; nothing changed),
 * `insufficient` (the balance would go negative; nothing changed), `no_user`, or `skipped`
 * (`when` was false).
 *
 * @example
 * const r = await bookCredits(db, { userId, delta: 100, reason: "stripe_checkout", reference: session.id });
 * if (r.status === "booked") log(r.balance);
 */
export async function bookCredits(db: SqlRunner, booking: Booking): Promise<BookingResult> {
  let row: Record<string, unknown>;
  try {
    const result = await db.execute(bookCreditsSql(booking));
    row = (result.rows[0] ?? {}) as Record<string, unknown>;
  } catch (err) {
    // A concurrent booking of the same (reason, reference) won; this statement was rolled back.
    if (isUniqueViolation(err)) return { status: "duplicate", row: {} };
    throw err;
  }
  const balance = row.balance === null || row.balance === undefined ? undefined : Number(row.balance);
  const raw = row.entry as Record<string, unknown> | null;
  if (raw) return { status: "booked", entry: toEntry(raw), balance, row };
  if (row.duplicate) return { status: "duplicate", balance, row };
  if (!row.user_exists) return { status: "no_user", row };
  if (!row.attempted) return { status: "skipped", balance, row };
  return { status: "insufficient", balance, row };
}

function toEntry(r: Record<string, unknown>): LedgerEntry & { uncollected: number } {
  return {
    id: Number(r.id),
    delta: Number(r.delta),
    balance_after: Number(r.balance_after),
    reason: r.reason as CreditReason,
    reference: String(r.reference),
    created_at: new Date(r.created_at as string).toISOString(),
    uncollected: Number(r.uncollected ?? 0),
  };
}

// ---------------------------------------------------------------------------------------------
// Spending (tasks): what the tasks API needs to charge for a task inside its own insert statement.

/** The task types that cost credits, and the config variable that prices each. */
export type PricedTaskType = "add" | "long_running" | "process_data";

/** A task type's price in credits, from TASK_COST_* (0: free). */
export function taskPrice(config: Config, type: PricedTaskType): number {
  switch (type) {
    case "add":
      return config.TASK_COST_ADD;
    case "long_running":
      return config.TASK_COST_LONG_RUNNING;
    case "process_data":
      return config.TASK_COST_PROCESS_DATA;
  }
}

/**
 * CTE definitions that charge `price` credits atomically inside a bigger statement (the task
 * insert): `credit_debit` takes the credits from the user's row only when the balance covers them
 * (one row: `id`, `credits` after the debit; no row: not enough credits, or the user/gate failed),
 * and `credit_debit_ledger` writes the ledger row (`reason` `task_debit`, `reference` the task id;
 * none when the price is 0). The row lock of the UPDATE serialises concurrent debits, and the
 * `credits >= price` condition is re-checked on the locked row, so N parallel debits never spend
 * more than the balance. Make the rest of the statement depend on `credit_debit` having a row, and
 * read the refusing balance with `(select credits from users where id = <userId>)`; then throw
 * `insufficientCredits(balance, price)`.
 *
 * @example
 * db.execute(sql`with ${creditDebitCtes({ userId: gate.userId, price, reference: taskId })},
 *   t as (insert into tasks (id, user_id, ...) select ${taskId}, id, ... from credit_debit returning *)
 *   select (select row_to_json(t) from t) as task, (select credits from users where id = ${gate.userId}) as balance`)
 */
export function creditDebitCtes(d: {
  userId: string | SQL;
  price: number;
  reference: string | SQL;
  reason?: CreditReason;
}): SQL {
  if (!Number.isInteger(d.price) || d.price < 0)
    throw new Error("creditDebitCtes: price must be an integer >= 0");
  const reason = d.reason ?? "task_debit";
  return sql`credit_debit as (
      update users set credits = credits - ${d.price}::int
      where id = ${d.userId} and credits >= ${d.price}::int
      returning id, credits
    ),
    credit_debit_ledger as (
      insert into credit_ledger (user_id, delta, balance_after, reason, reference)
      select id, -${d.price}::int, credits, ${reason}::credit_reason, (${d.reference})::text
      from credit_debit where ${d.price}::int > 0
      returning id
    )`;
}

/** 402 `insufficient_credits`, carrying the balance and the price as problem extension members. */
export function insufficientCredits(balance: number, price: number): ApiError {
  return new ApiError(402, "insufficient_credits", {
    detail: `This costs ${price} credits and the balance is ${balance}.`,
    extensions: { balance, price },
  });
}

/**
 * Gives back what a task was charged, exactly once (reason `task_refund`, reference the task id):
 * a second call, or a call for a task that was never charged, changes nothing. One round trip.
 * Returns the credits refunded (0 when nothing was).
 */
export async function refundTaskCredits(db: SqlRunner, taskId: string): Promise<number> {
  const debit = (column: SQL) =>
    sql`(select ${column} from credit_ledger where reason = 'task_debit' and reference = ${taskId})`;
  const result = await bookCredits(db, {
    userId: debit(sql`user_id`),
    delta: debit(sql`-delta`),
    reason: "task_refund",
    reference: taskId,
  });
  return result.status === "booked" ? (result.entry?.delta ?? 0) : 0;
}

// ---------------------------------------------------------------------------------------------
// The API: the caller's balance and ledger; admin grants and deductions.

/** The caller's balance and a page of the ledger (newest first), in one gated statement. */
export async function getMyCredits(
  db: Db,
  gate: SessionGate,
  page: { skip: number; limit: number },
): Promise<{
  balance: number;
  ledger: { items: LedgerEntry[]; total: number; skip: number; limit: number };
}> {
  const result = await db.execute<{
    balance: number | null;
    total: number;
    items: Record<string, unknown>[];
  }>(sql`
    with me as (select id, credits from users where id = ${gate.userId})
    select (select credits from me) as balance,
      (select count(*) from credit_ledger where user_id = (select id from me))::int as total,
      coalesce((select json_agg(p) from (
        select id, delta, balance_after, reason, reference, created_at from credit_ledger
        where user_id = (select id from me) order by id desc limit ${page.limit} offset ${page.skip}
      ) p), '[]'::json) as items`);
  const row = result.rows[0];
  if (!row || row.balance === null) throw gate.denied();
  return {
    balance: Number(row.balance),
    ledger: {
      items: row.items.map((r) => {
        const { uncollected: _, ...entry } = toEntry(r);
        return entry;
      }),
      total: Number(row.total),
      skip: page.skip,
      limit: page.limit,
    },
  };
}

/** 404 for an unknown or malformed user id (admins only reach it, so no leak). */
export const userNotFound = () => new ApiError(404, "not_found", { detail: "No such user." });

/**
 * An admin grants (`delta` > 0) or deducts credits, in one gated statement: the ledger row is
 * `admin_grant`/`admin_deduct` with a generated reference, the admin as `actor_id` and their
 * note. 404 for an unknown user; 409 `insufficient_credits` when a deduction would go below zero.
 */
export async function adminBookCredits(
  db: Db,
  gate: SessionGate,
  targetId: string,
  change: { delta: number; note: string },
  client: ClientInfo,
): Promise<{ balance: number; entry: LedgerEntry }> {
  if (!isUuid(targetId)) throw gate.denied(userNotFound());
  const result = await bookCredits(db, {
    userId: targetId,
    delta: change.delta,
    reason: change.delta > 0 ? "admin_grant" : "admin_deduct",
    reference: crypto.randomUUID(),
    actorId: gate.userId,
    note: change.note,
    // The gate: nothing is booked unless the caller is (still) a live admin.
    when: sql`${gate.passes}`,
    // The audit log records the grant in the same statement.
    after: sql`credit_audit as (
      insert into audit_events (actor_id, target_id, action, changes, ip, user_agent)
      select ${gate.userId}, u.id, 'user.credits',
        jsonb_build_object('credits', jsonb_build_object('before', u.credits - u.delta, 'after', u.credits),
                           'reason', jsonb_build_object('before', null, 'after', ${change.note}::text)),
        ${client.ip}, ${client.userAgent}
      from credit_upd u where exists (select 1 from credit_ins)
    )`,
  });
  if (result.status === "booked" && result.entry && result.balance !== undefined) {
    const { uncollected: _, ...entry } = result.entry;
    return { balance: result.balance, entry };
  }
  if (result.status === "no_user") throw gate.denied(userNotFound());
  if (result.status === "insufficient") {
    throw gate.denied(
      new ApiError(409, "insufficient_credits", {
        detail: `The balance (${result.balance}) is smaller than the deduction (${-change.delta}).`,
      }),
    );
  }
  // skipped: the gate failed (resolved to 401/403 by the error handler).
  throw gate.denied();
}
