/**
 * Background tasks: created, read, listed and revoked through the session gate. A task row is the
 * outbox entry: it is written first, then its `{kind: "task", id}` message is queued; the queue job
 * (src/queues/jobs/task.ts) runs it and the cron trigger re-drives what a crash left behind.
 */

import { type SQL, sql } from "drizzle-orm";
import type { Db } from "../../db/client.ts";
import type { TaskStatus } from "../../db/schema/index.ts";
import { describeError } from "../../lib/error-log.ts";
import { ApiError } from "../../lib/errors.ts";
import type { Logger } from "../../lib/logger.ts";
import { isUniqueViolation, isUuid } from "../../lib/postgres.ts";
import type { JobMessage } from "../../queues/messages.ts";
import type { SessionGate } from "../../services/session-gate.ts";
import { creditDebitCtes, insufficientCredits, refundTaskCredits } from "../credits/credits.service.ts";
import type { CreateTaskInput, TaskRow } from "./tasks.schemas.ts";

/** The queue message kind of a task. */
export const TASK_JOB_KIND = "task";

const taskNotFound = () => new ApiError(404, "not_found", { detail: "No such task." });

/** JSON with object keys sorted at every level, so equal bodies hash equally whatever their key order. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value && typeof value === "object") {
    const entries = Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

async function sha256Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** SQL boolean: the task row `t` may be seen by the caller (its owner, or an admin per the database). */
const visibleTo = (gate: SessionGate): SQL =>
  sql`(t.user_id = ${gate.userId} or exists (select 1 from users a where a.id = ${gate.userId} and a.role = 'admin'))`;

/** The outcome of createTask. */
export interface CreatedTask {
  task: TaskRow;
  /** False when an earlier request with the same Idempotency-Key made the task. */
  created: boolean;
}

/**
 * Writes a PENDING task for the caller in one gated statement. With an idempotency key, a task the
 * caller already made with that key is returned instead (422 `idempotency_key_reused` when its body
 * differed). A concurrent request with the same key may commit between this statement's snapshot
 * and its insert: then the insert does nothing and the snapshot cannot see the winner, so a second
 * read fetches it (the only case with two round trips).
 */
export async function createTask(
  db: Db,
  gate: SessionGate,
  body: CreateTaskInput,
  idempotencyKey: string | undefined,
  price = 0,
): Promise<CreatedTask> {
  const { type, ...input } = body;
  const requestHash = idempotencyKey === undefined ? null : await sha256Hex(canonicalJson(body));
  const key = idempotencyKey ?? null;
  const taskId = crypto.randomUUID();
  // The debit and the insert are one statement: the task exists if and only if it was paid for. A
  // replayed Idempotency-Key finds its task in `existing` and pays nothing; a concurrent replay that
  // slips past it collides on the unique key, and the whole statement (debit included) rolls back.
  const payer = sql`(select uid from g where not exists (select 1 from existing))`;
  const debit =
    price > 0
      ? creditDebitCtes({ userId: payer, price, reference: taskId })
      : sql`credit_debit as (select id, credits from users where id = ${payer})`;
  let result: {
    rows: { created: TaskRow | null; existing: TaskRow | null; ok: boolean; balance: number | null }[];
  };
  try {
    result = await db.execute(sql`
      with g as (select ${gate.userId} as uid),
      existing as (
        select t.* from tasks t, g
        where ${key}::text is not null and t.user_id = g.uid and t.idempotency_key = ${key}
      ),
      ${debit},
      ins as (
        insert into tasks (id, user_id, type, input, idempotency_key, request_hash)
        select ${taskId}, credit_debit.id, ${type}, ${JSON.stringify(input)}::jsonb, ${key}, ${requestHash}
        from credit_debit
        returning *
      )
      select (select row_to_json(ins) from ins) as created,
        (select row_to_json(existing) from existing limit 1) as existing,
        (select uid from g) is not null as ok,
        (select credits from users where id = (select uid from g)) as balance`);
  } catch (err) {
    if (!isUniqueViolation(err) || key === null) throw err;
    result = await db.execute(sql`
      select null as created, (select row_to_json(t) from tasks t
        where t.user_id = ${gate.userId} and t.idempotency_key = ${key}) as existing,
        ${gate.passes} as ok, null as balance`);
  }
  const out = result.rows[0];
  if (!out?.ok) throw gate.denied();
  if (!out.created && !out.existing) throw insufficientCredits(Number(out.balance ?? 0), price);
  const created = Boolean(out.created);
  const task = (out.created ?? out.existing) as TaskRow;
  if (!created && task.request_hash !== requestHash) {
    throw new ApiError(422, "idempotency_key_reused", {
      detail: "This Idempotency-Key was already used with a different request body.",
    });
  }
  return { task, created };
}

/** One round trip: the task, if the caller owns it or is an admin (else 404, never 403). */
export async function getTask(db: Db, gate: SessionGate, id: string): Promise<TaskRow> {
  if (!isUuid(id)) throw taskNotFound();
  const result = await db.execute<TaskRow>(
    sql`select t.* from tasks t where t.id = ${id} and ${visibleTo(gate)}`,
  );
  const row = result.rows[0];
  if (!row) throw gate.denied(taskNotFound());
  return row;
}

/** Paging and filters of GET /api/v1/tasks. */
export interface TaskListQuery {
  skip: number;
  limit: number;
  status?: TaskStatus;
}

/**
 * A page of the caller's tasks (every user's for an admin), newest first (ties by id), and the
 * total, in one statement that also carries the gate.
 */
export async function listTasks(
  db: Db,
  gate: SessionGate,
  query: TaskListQuery,
): Promise<{ items: TaskRow[]; total: number; skip: number; limit: number }> {
  const filters: SQL[] = [visibleTo(gate)];
  if (query.status) filters.push(sql`t.status = ${query.status}`);
  const result = await db.execute<{ ok: boolean; total: number; items: TaskRow[] }>(sql`
    with f as (select t.* from tasks t where ${sql.join(filters, sql` and `)})
    select ${gate.passes} as ok, (select count(*) from f)::int as total,
      coalesce((select json_agg(p) from (
        select * from f order by created_at desc, id desc limit ${query.limit} offset ${query.skip}
      ) p), '[]'::json) as items`);
  const row = result.rows[0];
  if (!row?.ok) throw gate.denied();
  return { items: row.items, total: Number(row.total), skip: query.skip, limit: query.limit };
}

/**
 * Revokes an unfinished task in one statement: 404 when the caller may not see it, 409
 * `task_finished` once it is SUCCESS, FAILURE or REVOKED. A running job notices at its next step.
 */
export async function revokeTask(db: Db, gate: SessionGate, id: string): Promise<TaskRow> {
  if (!isUuid(id)) throw taskNotFound();
  const result = await db.execute<TaskRow & { revoked: boolean }>(sql`
    with target as (select t.id from tasks t where t.id = ${id} and ${visibleTo(gate)}),
    upd as (
      update tasks set status = 'REVOKED', finished_at = now(), updated_at = now()
      from target where tasks.id = target.id and tasks.status in ('PENDING', 'STARTED', 'RETRY')
      returning tasks.*
    )
    select upd.*, true as revoked from upd
    union all
    select t.*, false as revoked from tasks t join target on t.id = target.id where not exists (select 1 from upd)`);
  const row = result.rows[0];
  if (!row) throw gate.denied(taskNotFound());
  if (!row.revoked) {
    throw new ApiError(409, "task_finished", {
      detail: "The task has already finished; it cannot be revoked.",
    });
  }
  const { revoked: _, ...task } = row;
  // A revoked task gives back what it cost (exactly once: the refund is keyed by the task id).
  await refundTaskCredits(db, task.id as string);
  return task;
}

/**
 * Queues a task's message. Never throws: the row is already written, and a failed send is re-driven
 * by the cron trigger (services/cleanup.ts), so the caller's answer does not depend on the queue.
 */
export async function enqueueTask(queue: Pick<Queue<JobMessage>, "send">, id: string, logger: Logger) {
  try {
    await queue.send({ kind: TASK_JOB_KIND, id });
  } catch (err) {
    logger.warn("queueing a task failed; the cron trigger will re-drive it", {
      task_id: id,
      error: describeError(err),
    });
  }
}
