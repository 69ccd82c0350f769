import { sql } from "drizzle-orm";
import {
  bigint,
  check,
  index,
  integer,
  pgEnum,
  pgTable,
  text,
  timestamp,
  unique,
  uuid,
} from "drizzle-orm/pg-core";
import { users } from "./users.ts";

export const creditReasons = [
  "admin_grant",
  "admin_deduct",
  "stripe_checkout",
  "stripe_refund",
  "task_debit",
  "task_refund",
] as const;
export const creditReason = pgEnum("credit_reason", creditReasons);
export type CreditReason = (typeof creditReasons)[number];

/**
 * Append-only record of every change to a user's `credits`, written in the same statement as the
 * balance change (see features/credits/credits.service.ts). `(reason, reference)` is unique, so one
 * external event (a Checkout Session, a refund, a task) can never be booked twice. The id is a
 * sequence: for one user it grows in the order the balance row was locked, so the newest row's
 * `balance_after` is the balance.
 */
export const creditLedger = pgTable(
  "credit_ledger",
  {
    id: bigint("id", { mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    delta: integer("delta").notNull(),
    balanceAfter: integer("balance_after").notNull(),
    reason: creditReason("reason").notNull(),
    reference: text("reference").notNull(),
    /** Who booked it when a person did (admin grants and deductions): the audit trail. */
    actorId: uuid("actor_id").references(() => users.id, { onDelete: "set null" }),
    /** The admin's note for admin bookings. */
    note: text("note"),
    /** The payment it belongs to (Stripe PaymentIntent id), so a refund can find the credits it bought. */
    externalRef: text("external_ref"),
    /** Credits that should have been taken back but could not (the balance was already spent). */
    uncollected: integer("uncollected").notNull().default(0),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    unique("credit_ledger_reason_reference_key").on(t.reason, t.reference),
    index("credit_ledger_user_id_idx").on(t.userId, t.id),
    index("credit_ledger_external_ref_idx").on(t.externalRef).where(sql`${t.externalRef} is not null`),
    check("credit_ledger_balance_after_check", sql`${t.balanceAfter} >= 0`),
    check("credit_ledger_uncollected_check", sql`${t.uncollected} >= 0`),
  ],
);

/** Stripe webhook events already processed (by event id), so a redelivery changes nothing. */
export const stripeEvents = pgTable("stripe_events", {
  id: text("id").primaryKey(),
  type: text("type").notNull(),
  receivedAt: timestamp("received_at", { withTimezone: true }).notNull().defaultNow(),
});
