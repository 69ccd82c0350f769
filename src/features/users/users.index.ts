import { createRouter } from "../../lib/router.ts";
import * as handlers from "./users.handlers.ts";
import * as routes from "./users.routes.ts";

export const usersRouter = createRouter()
  .openapi(routes.getMe, handlers.getMe)
  .openapi(routes.listUsers, handlers.listUsers)
  .openapi(routes.updateMe, handlers.updateMe)
  .openapi(routes.deleteMe, handlers.deleteMe);
