/**
 * The `task` job: runs a background task from its row in `tasks`.
 *
 * The row is claimed atomically (PENDING/RETRY → STARTED), so a duplicate or concurrent delivery of
 * the same message does nothing, and a revoked task is never run. A long_running task works in
 * one-second steps inside this one consumer invocation (a Queues consumer may run for up to 15
 * minutes of wall time; the longest task is 300 s), and each step both reports progress and checks
 * for revocation in one statement. A run that throws goes to RETRY and the consumer retries it with
 * backoff; after TASK_MAX_ATTEMPTS runs it is FAILURE and the message is acknowledged.
 */

import type { z } from "@hono/zod-openapi";
import { type SQL, sql } from "drizzle-orm";
import { type Db, getDb } from "../../db/client.ts";
import type { TaskType } from "../../db/schema/index.ts";
import { type Config, loadConfig } from "../../env.ts";
import { refundTaskCredits } from "../../features/credits/credits.service.ts";
import {
  type ArrayStatsSchema,
  type NumberStatsSchema,
  type ObjectStatsSchema,
  TASK_ERROR_MAX_LENGTH,
  type TaskResult,
  type TextStatsSchema,
} from "../../features/tasks/tasks.schemas.ts";
import { TASK_JOB_KIND } from "../../features/tasks/tasks.service.ts";
import { describeError } from "../../lib/error-log.ts";
import { isUuid } from "../../lib/postgres.ts";
import { jobHandlers } from "../consumer.ts";
import type { JobMessage } from "../messages.ts";

/** Thrown by a task implementation when retrying cannot help: the task is FAILURE at once. */
export class PermanentTaskError extends Error {
  override name = "PermanentTaskError";
}

/** What a running task may do besides computing. */
export interface TaskRunContext {
  /** Records progress (0..100); false when the task was revoked meanwhile (the run must stop). */
  reportProgress(percent: number): Promise<boolean>;
  sleep(ms: number): Promise<void>;
}

/** Returned by an implementation that stopped because its task was revoked. */
export const STOPPED = Symbol("stopped");

/** A task's `input` column by type (the request body without `type`). */
interface TaskInputs {
  add: { x: number; y: number };
  long_running: { duration_seconds: number };
  process_data: { data: unknown };
}
type Implementations = {
  [T in TaskType]: (input: TaskInputs[T], ctx: TaskRunContext) => Promise<TaskResult | typeof STOPPED>;
};

/** Milliseconds per long_running step (one step per second of `duration_seconds`). */
export const LONG_RUNNING_STEP_MS = 1000;

/**
 * The task implementations by type. Exported so a test can make one fail deterministically (by
 * replacing it, then restoring it) without any failure switch reachable from the public API.
 */
export const taskImplementations: Implementations = {
  async add(input) {
    const sum = input.x + input.y;
    if (!Number.isFinite(sum)) throw new PermanentTaskError("x + y is not a finite number");
    return sum;
  },
  async long_running(input, ctx) {
    const steps = input.duration_seconds;
    for (let step = 1; step <= steps; step++) {
      await ctx.sleep(LONG_RUNNING_STEP_MS);
      if (!(await ctx.reportProgress(Math.floor((step * 100) / steps)))) return STOPPED;
    }
    return { seconds: steps };
  },
  async process_data(input) {
    return dataStatistics(input.data);
  },
};

/** The statistics process_data reports (shapes documented on POST /api/v1/tasks). */
export function dataStatistics(
  data: unknown,
):
  | z.infer<typeof NumberStatsSchema>
  | z.infer<typeof ArrayStatsSchema>
  | z.infer<typeof TextStatsSchema>
  | z.infer<typeof ObjectStatsSchema> {
  if (typeof data === "string") {
    return {
      kind: "text",
      characters: [...data].length,
      words: data.split(/\s+/).filter(Boolean).length,
      lines: data === "" ? 0 : data.split(/\r\n|\r|\n/).length,
    };
  }
  if (Array.isArray(data)) {
    if (data.every((v) => typeof v === "number")) {
      const numbers = data as number[];
      let sum = 0;
      let min = Number.POSITIVE_INFINITY;
      let max = Number.NEGATIVE_INFINITY;
      for (const n of numbers) {
        sum += n;
        if (n < min) min = n;
        if (n > max) max = n;
      }
      if (!Number.isFinite(sum)) throw new PermanentTaskError("the sum is not a finite number");
      const count = numbers.length;
      return count === 0
        ? { kind: "numbers", count, sum: 0, min: null, max: null, mean: null }
        : { kind: "numbers", count, sum, min, max, mean: sum / count };
    }
    const types = { number: 0, string: 0, boolean: 0, null: 0, array: 0, object: 0 };
    for (const v of data) {
      const t = v === null ? "null" : Array.isArray(v) ? "array" : typeof v;
      if (t in types) types[t as keyof typeof types]++;
    }
    return { kind: "array", count: data.length, types };
  }
  if (data && typeof data === "object") {
    let totalKeys = 0;
    const depth = (v: unknown): number => {
      if (Array.isArray(v)) return 1 + Math.max(0, ...v.map(depth));
      if (v && typeof v === "object") {
        const values = Object.values(v);
        totalKeys += values.length;
        return 1 + Math.max(0, ...values.map(depth));
      }
      return 0;
    };
    const d = depth(data);
    return { kind: "object", keys: Object.keys(data).length, total_keys: totalKeys, depth: d };
  }
  throw new PermanentTaskError("data must be an array, an object or a string");
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Thrown to the consumer so it retries the message with backoff (the row is already RETRY). */
export class TaskRetry extends Error {
  override name = "TaskRetry";
}

/** What the task's `error` may say: the error's name and message, with database values masked. */
function publicError(err: unknown): string {
  const summary = describeError(err);
  return `${summary.name}: ${summary.message}`.slice(0, TASK_ERROR_MAX_LENGTH);
}

/** Runs the task `job.id` once, if it can be claimed; see the module comment. */
export async function runTaskJob(job: JobMessage, env: Env): Promise<void> {
  if (!isUuid(job.id)) return; // no such row can exist: nothing to do, nothing to retry
  const config = loadConfig(env);
  const db = getDb(config);
  const claimed = await db.execute<{ type: TaskType; input: unknown }>(sql`
    update tasks set status = 'STARTED', started_at = coalesce(started_at, now()),
      attempts = attempts + 1, updated_at = now()
    where id = ${job.id} and status in ('PENDING', 'RETRY')
    returning type, input`);
  const task = claimed.rows[0];
  if (!task) return; // finished, revoked, running elsewhere, or gone

  const ctx: TaskRunContext = {
    sleep,
    async reportProgress(percent) {
      const res = await db.execute(sql`
        update tasks set progress = ${percent}, updated_at = now()
        where id = ${job.id} and status = 'STARTED' returning id`);
      return res.rows.length > 0;
    },
  };
  let outcome: TaskResult | typeof STOPPED;
  try {
    // The row's input was validated against the type's schema when the task was created.
    const run = taskImplementations[task.type] as (
      input: unknown,
      ctx: TaskRunContext,
    ) => ReturnType<Implementations[TaskType]>;
    outcome = await run(task.input, ctx);
  } catch (err) {
    const permanent = err instanceof PermanentTaskError;
    const failed = await db.execute<{ status: string }>(sql`
      update tasks set
        status = (case when ${permanent} or attempts >= ${config.TASK_MAX_ATTEMPTS} then 'FAILURE' else 'RETRY' end)::task_status,
        error = ${publicError(err)},
        finished_at = case when ${permanent} or attempts >= ${config.TASK_MAX_ATTEMPTS} then now() end,
        updated_at = now()
      where id = ${job.id} and status = 'STARTED' returning status`);
    if (failed.rows[0]?.status === "RETRY") throw new TaskRetry(`task ${job.id} failed; retrying`);
    // A failed task gives back what it cost (exactly once; the cron sweep covers a crash here).
    if (failed.rows[0]?.status === "FAILURE") await refundTaskCredits(db, job.id);
    return;
  }
  if (outcome === STOPPED) return;
  // Guarded by status: a task revoked after its last step stays REVOKED.
  await db.execute(sql`
    update tasks set status = 'SUCCESS', result = ${JSON.stringify(outcome)}::jsonb, progress = 100,
      error = null, finished_at = now(), updated_at = now()
    where id = ${job.id} and status = 'STARTED'`);
}

jobHandlers.set(TASK_JOB_KIND, runTaskJob);

/** Tasks untouched this long are re-driven by the cron trigger (PENDING, overdue RETRY, stale STARTED). */
export const TASK_REDRIVE_AFTER_SECONDS = 120;
const REDRIVE_LIMIT = 1000;
const SEND_BATCH_MAX = 100;

/**
 * Re-sends the queue message of every task a crash or a lost message left behind: PENDING for longer
 * than TASK_REDRIVE_AFTER_SECONDS, RETRY whose next attempt is that much overdue, and STARTED without
 * a sign of life for that long (its consumer died; it becomes RETRY, or FAILURE when out of
 * attempts). Each row's `updated_at` is bumped, so a message in flight is not sent again next run.
 * Returns how many messages were queued.
 */
export async function redriveTasks(
  db: Db,
  config: Config,
  queue: Pick<Queue<JobMessage>, "sendBatch">,
): Promise<number> {
  const threshold: SQL = sql`make_interval(secs => ${TASK_REDRIVE_AFTER_SECONDS})`;
  const exhausted: SQL = sql`attempts >= ${config.TASK_MAX_ATTEMPTS}`;
  const result = await db.execute<{ id: string }>(sql`
    with stale as (
      update tasks set
        status = (case when ${exhausted} then 'FAILURE' else 'RETRY' end)::task_status,
        error = 'The worker stopped before the task finished.',
        finished_at = case when ${exhausted} then now() end,
        updated_at = now()
      where id in (
        select id from tasks where status = 'STARTED' and updated_at < now() - ${threshold}
        order by updated_at limit ${REDRIVE_LIMIT})
      returning id, status
    ), due as (
      update tasks set updated_at = now()
      where id in (
        select id from tasks
        where (status = 'PENDING' and updated_at < now() - ${threshold})
               -- the consumer's backoff (retryDelaySeconds), then the threshold
           or (status = 'RETRY' and updated_at < now() - ${threshold}
               - make_interval(secs => least(300, power(2, greatest(1, attempts)))))
        order by updated_at limit ${REDRIVE_LIMIT})
      returning id
    )
    select id from stale where status = 'RETRY'
    union all
    select id from due`);
  const ids = result.rows.map((r) => r.id);
  let failed = 0;
  for (let i = 0; i < ids.length; i += SEND_BATCH_MAX) {
    const chunk = ids.slice(i, i + SEND_BATCH_MAX);
    try {
      await queue.sendBatch(chunk.map((id) => ({ body: { kind: TASK_JOB_KIND, id } })));
    } catch {
      failed += chunk.length; // bumped rows come round again after the threshold
    }
  }
  if (failed > 0) throw new Error(`${failed} of ${ids.length} task messages could not be queued`);
  return ids.length;
}

/**
 * Refunds every task that ended FAILURE or REVOKED and was charged but not yet refunded: the
 * transitions refund at once, this sweep covers a crash between the two statements (and the stale
 * STARTED tasks the re-drive marks FAILURE). Refunds are keyed by task id, so none happens twice.
 */
export async function refundEndedTasks(db: Db): Promise<number> {
  const result = await db.execute<{ id: string }>(sql`
    select t.id from tasks t
    join credit_ledger d on d.reason = 'task_debit' and d.reference = t.id::text
    where t.status in ('FAILURE', 'REVOKED')
      and not exists (select 1 from credit_ledger r where r.reason = 'task_refund' and r.reference = t.id::text)
    limit ${REDRIVE_LIMIT}`);
  let refunded = 0;
  for (const { id } of result.rows) if ((await refundTaskCredits(db, id)) > 0) refunded++;
  return refunded;
}
