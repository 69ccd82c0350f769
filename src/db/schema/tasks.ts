import { sql } from "drizzle-orm";
import {
  check,
  index,
  integer,
  jsonb,
  pgEnum,
  pgTable,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from "drizzle-orm/pg-core";
import { users } from "./users.ts";

export const taskTypes = ["add", "long_running", "process_data"] as const;
export const taskType = pgEnum("task_type", taskTypes);

export const taskStatuses = ["PENDING", "STARTED", "SUCCESS", "FAILURE", "RETRY", "REVOKED"] as const;
export const taskStatus = pgEnum("task_status", taskStatuses);

/**
 * Background tasks. The row is written before its queue message is sent (outbox), so the message
 * carries only the id and a lost message is re-sent by the cron trigger from this table.
 */
export const tasks = pgTable(
  "tasks",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    type: taskType("type").notNull(),
    /** The request body without `type` (e.g. `{x, y}`). */
    input: jsonb("input").notNull(),
    status: taskStatus("status").notNull().default("PENDING"),
    progress: integer("progress").notNull().default(0),
    result: jsonb("result"),
    error: text("error"),
    /** Runs started (claims), counted against TASK_MAX_ATTEMPTS. */
    attempts: integer("attempts").notNull().default(0),
    idempotencyKey: text("idempotency_key"),
    /** SHA-256 (hex) of the canonical request body, to refuse a reused key with another body. */
    requestHash: text("request_hash"),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    startedAt: timestamp("started_at", { withTimezone: true }),
    finishedAt: timestamp("finished_at", { withTimezone: true }),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    check("tasks_progress_range", sql`${t.progress} between 0 and 100`),
    uniqueIndex("tasks_user_idempotency_key")
      .on(t.userId, t.idempotencyKey)
      .where(sql`${t.idempotencyKey} is not null`),
    index("tasks_user_created_idx").on(t.userId, t.createdAt.desc()),
    // The cron re-drive scans only unfinished tasks.
    index("tasks_unfinished_idx")
      .on(t.status, t.updatedAt)
      .where(sql`${t.status} in ('PENDING', 'STARTED', 'RETRY')`),
  ],
);

export type TaskType = (typeof taskTypes)[number];
export type TaskStatus = (typeof taskStatuses)[number];
