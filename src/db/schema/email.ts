import { index, integer, jsonb, pgEnum, pgTable, text, timestamp, uuid, varchar } from "drizzle-orm/pg-core";
import { users } from "./users.ts";

export const emailStatuses = ["pending", "sending", "sent", "failed"] as const;
export const emailStatus = pgEnum("email_status", emailStatuses);

/** A rendered message: what the mailer sends, and what the dev mailbox shows. */
export interface RenderedEmail {
  subject: string;
  text: string;
  html: string;
}

/**
 * The e-mail outbox: a message is written here in the same statement as the change that causes it,
 * then a queue message `{kind: "email", id}` asks the consumer to send it. The row, not the queue
 * message, is the source of truth: a lost message is re-driven by the cron trigger, a duplicate one
 * finds the row already claimed. `payload` is the rendered message (it holds the one-time link, so
 * rows are purged soon after they are sent; see docs/decisions.md).
 */
export const emailOutbox = pgTable(
  "email_outbox",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    to: varchar("to", { length: 255 }).notNull(),
    template: text("template").notNull(),
    payload: jsonb("payload").$type<RenderedEmail>().notNull(),
    status: emailStatus("status").notNull().default("pending"),
    attempts: integer("attempts").notNull().default(0),
    lastError: text("last_error"),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    sentAt: timestamp("sent_at", { withTimezone: true }),
    /** Pending: when the next attempt is due. Sending: when the claim lapses (a crashed consumer). */
    nextAttemptAt: timestamp("next_attempt_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index("email_outbox_status_next_attempt_idx").on(t.status, t.nextAttemptAt),
    index("email_outbox_to_created_idx").on(t.to, t.createdAt),
  ],
);

export const oneTimeTokenPurposes = ["verify_email", "reset_password"] as const;
export const oneTimeTokenPurpose = pgEnum("one_time_token_purpose", oneTimeTokenPurposes);

/**
 * Single-use tokens sent by e-mail (verification, password reset): 256 random bits, stored only as
 * their SHA-256 hash, consumed by one atomic `UPDATE ... WHERE used_at IS NULL`.
 */
export const oneTimeTokens = pgTable(
  "one_time_tokens",
  {
    tokenHash: text("token_hash").primaryKey(),
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    purpose: oneTimeTokenPurpose("purpose").notNull(),
    /** The address the token was sent to; a verification counts only while it is still the user's. */
    email: varchar("email", { length: 255 }).notNull(),
    expiresAt: timestamp("expires_at", { withTimezone: true }).notNull(),
    usedAt: timestamp("used_at", { withTimezone: true }),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index("one_time_tokens_user_id_idx").on(t.userId),
    index("one_time_tokens_expires_at_idx").on(t.expiresAt),
  ],
);

export type EmailStatus = (typeof emailStatuses)[number];
export type OneTimeTokenPurpose = (typeof oneTimeTokenPurposes)[number];
