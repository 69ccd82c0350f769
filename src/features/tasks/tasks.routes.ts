import { z } from "@hono/zod-openapi";
import { taskStatuses } from "../../db/schema/index.ts";
import { BODY_PROBLEMS, COMMON_PROBLEMS, jsonContent, problems } from "../../lib/openapi.ts";
import { PaginationQuery, pageOf } from "../../lib/pagination.ts";
import { protectedRoute } from "../../lib/protected-route.ts";
import { CreateTaskBody, TaskSchema } from "./tasks.schemas.ts";

const TaskPageSchema = pageOf(TaskSchema, "TaskPage", {
  id: "5d0c7e52-3b8f-4a51-9a86-0f3e2c1b7d94",
  type: "long_running",
  status: "STARTED",
  progress: 40,
  result: null,
  error: null,
  attempts: 1,
  created_at: "2025-01-15T09:30:00.000Z",
  started_at: "2025-01-15T09:30:01.000Z",
  finished_at: null,
});

const LOCATION_HEADER = {
  Location: {
    description: "The task's URL, `/api/v1/tasks/{id}`.",
    required: true,
    schema: {
      type: "string" as const,
      maxLength: 50,
      pattern: "^/api/v1/tasks/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$",
    },
  },
};

const NOT_FOUND = {
  404: {
    description: "No such task, or another user's (never 403, so ids do not leak), or a malformed id.",
    content: { "application/problem+json": { schema: { $ref: "#/components/schemas/Problem" } } },
  },
};

/** The optional Idempotency-Key request header. */
export const CreateTaskHeaders = z.object({
  // Hono hands header names to the validator in lower case (and header names are case-insensitive).
  "idempotency-key": z
    .string()
    .min(1)
    .max(255)
    .regex(/^[\x20-\x7E]+$/, "printable ASCII only")
    .optional()
    .openapi({
      param: { name: "idempotency-key", in: "header" },
      description:
        "1..255 printable ASCII characters. Repeating a request with the same key and body returns the same task (200); the same key with another body is 422 `idempotency_key_reused`.",
      example: "7f1c0a52-create-report",
    }),
});

/** POST /api/v1/tasks: write the task, queue it, answer 202 with its Location. */
export const createTask = protectedRoute(
  { session: "in-statement" },
  {
    method: "post",
    path: "/api/v1/tasks",
    operationId: "createTask",
    tags: ["Tasks"],
    summary: "Start a background task",
    description: [
      "Writes the task (PENDING) and queues it; poll `Location` for its status.",
      "- `add`: `result` is the number `x + y`.",
      "- `long_running`: one step per second for `duration_seconds` (1..300), `progress` 0..100; `result` is `{seconds}`.",
      '- `process_data`: `data` is an array (at most 10,000 items), an object or a string, at most 64 KiB of JSON. `result` by `kind`: an array of numbers gives `{kind: "numbers", count, sum, min, max, mean}` (min, max and mean null when empty); any other array `{kind: "array", count, types: {number, string, boolean, null, array, object}}`; a string `{kind: "text", characters, words, lines}`; an object `{kind: "object", keys, total_keys, depth}`.',
      "A failing run is retried with backoff (status RETRY) and marked FAILURE after the configured attempts.",
    ].join("\n\n"),
    request: {
      headers: CreateTaskHeaders,
      body: { required: true, content: jsonContent(CreateTaskBody) },
    },
    responses: {
      202: { description: "Task accepted.", headers: LOCATION_HEADER, content: jsonContent(TaskSchema) },
      200: {
        description: "The task an earlier request with the same Idempotency-Key and body created.",
        headers: LOCATION_HEADER,
        content: jsonContent(TaskSchema),
      },
      ...problems("PaymentRequired", ...BODY_PROBLEMS, ...COMMON_PROBLEMS),
    },
  },
);
export type CreateTaskRoute = typeof createTask;

const TaskIdParams = z.object({
  // A plain string: a malformed id is 404 like any other unknown task, not 422.
  id: z.string().openapi({
    param: { name: "id", in: "path" },
    // Documented format, not validated: any other string, of any length, is a 404 like an unknown task.
    format: "uuid",
    example: "0b6c2a8e-8a53-4d6e-9a7c-2f0b1f4d6a11",
  }),
});

/** GET /api/v1/tasks/{id} (owner or admin). */
export const getTask = protectedRoute(
  { session: "in-statement" },
  {
    method: "get",
    path: "/api/v1/tasks/{id}",
    operationId: "getTask",
    tags: ["Tasks"],
    summary: "A task's status and result (owner or admin)",
    description:
      "Poll this until `status` is final: `SUCCESS` (with `result`), `FAILURE` (with `error`) or `REVOKED`. `RETRY` means a failed run will be tried again.",
    request: { params: TaskIdParams },
    responses: {
      200: { description: "The task.", content: jsonContent(TaskSchema) },
      ...NOT_FOUND,
      ...problems("UnprocessableContent", ...COMMON_PROBLEMS),
    },
  },
);
export type GetTaskRoute = typeof getTask;

/** `skip`, `limit` and the `status` filter. */
export const ListTasksQuery = PaginationQuery.extend({
  status: z
    .enum(taskStatuses)
    .optional()
    .openapi({ param: { name: "status", in: "query" } }),
});

/** GET /api/v1/tasks: the caller's tasks (everyone's for an admin). */
export const listTasks = protectedRoute(
  { session: "in-statement" },
  {
    method: "get",
    path: "/api/v1/tasks",
    operationId: "listTasks",
    tags: ["Tasks"],
    summary: "List tasks (newest first)",
    description: "The caller's own tasks; an admin sees every user's.",
    request: { query: ListTasksQuery },
    responses: {
      200: { description: "A page of tasks.", content: jsonContent(TaskPageSchema) },
      ...problems("UnprocessableContent", ...COMMON_PROBLEMS),
    },
  },
);
export type ListTasksRoute = typeof listTasks;

/** POST /api/v1/tasks/{id}/revoke (owner or admin). */
export const revokeTask = protectedRoute(
  { session: "in-statement" },
  {
    method: "post",
    path: "/api/v1/tasks/{id}/revoke",
    operationId: "revokeTask",
    tags: ["Tasks"],
    summary: "Revoke a task (owner or admin)",
    description: "A pending task never runs; a running one stops at its next step.",
    request: { params: TaskIdParams },
    responses: {
      200: { description: "The task, now REVOKED.", content: jsonContent(TaskSchema) },
      ...NOT_FOUND,
      409: { $ref: "#/components/responses/Conflict" },
      ...problems("UnprocessableContent", ...COMMON_PROBLEMS),
    },
  },
);
export type RevokeTaskRoute = typeof revokeTask;
