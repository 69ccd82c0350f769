import { z } from "@hono/zod-openapi";
import { taskStatuses, taskTypes } from "../../db/schema/index.ts";
import { int32, Timestamp, Uuid } from "../../lib/fields.ts";

/** `process_data` limits: the data's JSON at most 64 KiB, an array at most 10,000 items, nesting at most 32. */
export const PROCESS_DATA_MAX_BYTES = 64 * 1024;
/** At most this many items in a process_data array. */
export const PROCESS_DATA_MAX_ITEMS = 10_000;
/** At most this many levels of nesting in process_data. */
export const PROCESS_DATA_MAX_DEPTH = 32;
/** A task's `error` is cut to this many characters. */
export const TASK_ERROR_MAX_LENGTH = 500;

const depthOf = (value: unknown, depth = 1): number => {
  if (depth > PROCESS_DATA_MAX_DEPTH) return depth;
  if (Array.isArray(value)) return Math.max(depth, ...value.map((v) => depthOf(v, depth + 1)));
  if (value && typeof value === "object")
    return Math.max(depth, ...Object.values(value).map((v) => depthOf(v, depth + 1)));
  return depth;
};

const AddBody = z
  .object({
    type: z.literal("add"),
    x: z.number().openapi({ example: 2 }),
    y: z.number().openapi({ example: 3 }),
  })
  .strict()
  .openapi("AddTaskRequest", { description: "Adds two finite numbers; the result is the number `x + y`." });

const LongRunningBody = z
  .object({
    type: z.literal("long_running"),
    duration_seconds: int32(1, 300).openapi({ example: 5 }),
  })
  .strict()
  .openapi("LongRunningTaskRequest", {
    description:
      "Works for `duration_seconds` (1..300) in one-second steps, reporting `progress`; the result is `{seconds}`.",
  });

const ProcessData = z
  .union([
    z.array(z.unknown()).max(PROCESS_DATA_MAX_ITEMS),
    z.record(z.string(), z.unknown()),
    // Never longer than the JSON byte limit below allows.
    z.string().max(PROCESS_DATA_MAX_BYTES),
  ])
  .superRefine((data, ctx) => {
    if (new TextEncoder().encode(JSON.stringify(data)).length > PROCESS_DATA_MAX_BYTES)
      ctx.addIssue({
        code: "custom",
        message: `data must be at most ${PROCESS_DATA_MAX_BYTES} bytes of JSON`,
      });
    else if (depthOf(data) > PROCESS_DATA_MAX_DEPTH)
      ctx.addIssue({ code: "custom", message: `data must nest at most ${PROCESS_DATA_MAX_DEPTH} levels` });
  })
  .openapi({
    description: `An array (at most ${PROCESS_DATA_MAX_ITEMS} items), an object or a string; at most ${PROCESS_DATA_MAX_BYTES} bytes of JSON.`,
    example: [1, 2, 3.5],
  });

const ProcessDataBody = z
  .object({ type: z.literal("process_data"), data: ProcessData })
  .strict()
  .openapi("ProcessDataTaskRequest", { description: "Computes statistics of `data` (see Task.result)." });

/** The body of POST /api/v1/tasks, discriminated by `type` (unknown types and fields are 422). */
export const CreateTaskBody = z
  .discriminatedUnion("type", [AddBody, LongRunningBody, ProcessDataBody])
  .openapi("CreateTaskRequest", { example: { type: "add", x: 2, y: 3 } });

/** A validated task request. */
export type CreateTaskInput = z.infer<typeof CreateTaskBody>;

/** process_data over an array of numbers. */
export const NumberStatsSchema = z
  .object({
    kind: z.literal("numbers"),
    count: int32(0, PROCESS_DATA_MAX_ITEMS),
    sum: z.number(),
    min: z.number().nullable(),
    max: z.number().nullable(),
    mean: z.number().nullable().openapi({ description: "null for an empty array (as are min and max)." }),
  })
  .strict()
  .openapi("NumberStats", {
    example: { kind: "numbers", count: 3, sum: 6.5, min: 1, max: 3.5, mean: 2.1666666666666665 },
  });

/** How many items of a process_data array (of at most PROCESS_DATA_MAX_ITEMS). */
const itemCount = int32(0, PROCESS_DATA_MAX_ITEMS);

/** A count within process_data's JSON (of at most PROCESS_DATA_MAX_BYTES bytes). */
const dataCount = int32(0, PROCESS_DATA_MAX_BYTES);

/** process_data over any other array: its length and how many items are of each JSON type. */
export const ArrayStatsSchema = z
  .object({
    kind: z.literal("array"),
    count: itemCount,
    types: z
      .object({
        number: itemCount,
        string: itemCount,
        boolean: itemCount,
        null: itemCount,
        array: itemCount,
        object: itemCount,
      })
      .strict(),
  })
  .strict()
  .openapi("ArrayStats");

/** process_data over a string. */
export const TextStatsSchema = z
  .object({
    kind: z.literal("text"),
    characters: dataCount.openapi({ description: "Unicode code points." }),
    words: dataCount.openapi({ description: "Runs of non-whitespace." }),
    lines: dataCount,
  })
  .strict()
  .openapi("TextStats");

/** process_data over an object. */
export const ObjectStatsSchema = z
  .object({
    kind: z.literal("object"),
    keys: dataCount.openapi({ description: "Top-level keys." }),
    total_keys: dataCount.openapi({ description: "Keys at every level (in nested objects and arrays)." }),
    depth: int32(1, PROCESS_DATA_MAX_DEPTH).openapi({ description: "Nesting depth; `{}` is 1." }),
  })
  .strict()
  .openapi("ObjectStats");

/** long_running's result. */
export const LongRunningResultSchema = z
  .object({ seconds: int32(1, 300) })
  .strict()
  .openapi("LongRunningResult");

/** A task's `result`, by type (null until SUCCESS). */
export const TaskResultSchema = z
  .union([
    z.number().openapi({ description: "add: x + y" }),
    LongRunningResultSchema,
    NumberStatsSchema,
    ArrayStatsSchema,
    TextStatsSchema,
    ObjectStatsSchema,
  ])
  .nullable()
  .openapi({
    description:
      "Set on SUCCESS: for add the number x + y; for long_running `{seconds}`; for process_data one of the *Stats shapes (by `kind`).",
  });

/** A task's result value. */
export type TaskResult = z.infer<typeof TaskResultSchema>;

/** The public Task object. */
export const TaskSchema = z
  .object({
    id: Uuid,
    type: z.enum(taskTypes),
    status: z.enum(taskStatuses),
    progress: int32(0, 100),
    result: TaskResultSchema,
    error: z
      .string()
      .max(TASK_ERROR_MAX_LENGTH)
      .nullable()
      .openapi({ description: "Why the last run failed (RETRY, FAILURE)." }),
    attempts: int32(0).openapi({ description: "Runs started so far." }),
    created_at: Timestamp,
    started_at: Timestamp.nullable(),
    finished_at: Timestamp.nullable(),
  })
  .strict()
  .openapi("Task", {
    example: {
      id: "5d0c7e52-3b8f-4a51-9a86-0f3e2c1b7d94",
      type: "add",
      status: "SUCCESS",
      progress: 100,
      result: 5,
      error: null,
      attempts: 1,
      created_at: "2025-01-15T09:30:00.000Z",
      started_at: "2025-01-15T09:30:01.000Z",
      finished_at: "2025-01-15T09:30:01.000Z",
    },
  });

/** A task as the API answers it. */
export type Task = z.infer<typeof TaskSchema>;

/** A task row from raw SQL (snake_case; timestamps as strings or Dates). */
export type TaskRow = Record<string, unknown>;

const iso = (v: unknown) => (v === null || v === undefined ? null : new Date(v as string).toISOString());

/** The public Task object (never the input, the idempotency key or the request hash). */
export function toTask(r: TaskRow): Task {
  return {
    id: r.id as string,
    type: r.type as Task["type"],
    status: r.status as Task["status"],
    progress: Number(r.progress),
    result: (r.result ?? null) as TaskResult,
    error: (r.error as string | null) ?? null,
    attempts: Number(r.attempts),
    created_at: iso(r.created_at) as string,
    started_at: iso(r.started_at),
    finished_at: iso(r.finished_at),
  };
}
