import type { AppRouteHandler } from "../../lib/types.ts";
import { taskPrice } from "../credits/credits.service.ts";
import type { CreateTaskRoute, GetTaskRoute, ListTasksRoute, RevokeTaskRoute } from "./tasks.routes.ts";
import { toTask } from "./tasks.schemas.ts";
import * as tasks from "./tasks.service.ts";

const location = (id: string) => `/api/v1/tasks/${id}`;

/** 202 + Location for a new task, 200 for an idempotent replay; the message is queued after the response. */
export const createTask: AppRouteHandler<CreateTaskRoute> = async (c) => {
  const body = c.req.valid("json");
  const { task, created } = await tasks.createTask(
    c.get("db"),
    c.get("gate"),
    body,
    c.req.valid("header")["idempotency-key"],
    taskPrice(c.get("config"), body.type),
  );
  const id = task.id as string;
  // Off the response path; the row is already written, so a failed send is only re-driven later.
  if (created) c.executionCtx.waitUntil(tasks.enqueueTask(c.env.JOBS_QUEUE, id, c.get("logger")));
  c.header("Location", location(id));
  return created ? c.json(toTask(task), 202) : c.json(toTask(task), 200);
};

/** The task. */
export const getTask: AppRouteHandler<GetTaskRoute> = async (c) => {
  const task = await tasks.getTask(c.get("db"), c.get("gate"), c.req.valid("param").id);
  return c.json(toTask(task), 200);
};

/** A page of tasks. */
export const listTasks: AppRouteHandler<ListTasksRoute> = async (c) => {
  const page = await tasks.listTasks(c.get("db"), c.get("gate"), c.req.valid("query"));
  return c.json({ ...page, items: page.items.map(toTask) }, 200);
};

/** The revoked task. */
export const revokeTask: AppRouteHandler<RevokeTaskRoute> = async (c) => {
  const task = await tasks.revokeTask(c.get("db"), c.get("gate"), c.req.valid("param").id);
  return c.json(toTask(task), 200);
};
