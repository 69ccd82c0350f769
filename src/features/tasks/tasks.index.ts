import { createRouter } from "../../lib/router.ts";
import * as handlers from "./tasks.handlers.ts";
import * as routes from "./tasks.routes.ts";

/** The task routes (/api/v1/tasks). */
export const tasksRouter = createRouter()
  .openapi(routes.createTask, handlers.createTask)
  .openapi(routes.listTasks, handlers.listTasks)
  .openapi(routes.getTask, handlers.getTask)
  .openapi(routes.revokeTask, handlers.revokeTask);
