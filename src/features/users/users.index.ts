import { createRouter } from "../../lib/router.ts";
import * as adminHandlers from "./admin.handlers.ts";
import * as adminRoutes from "./admin.routes.ts";
import * as handlers from "./users.handlers.ts";
import * as routes from "./users.routes.ts";

// The /users/me routes come first: Hono runs matching routes in order, so `me` never reaches {id}.
export const usersRouter = createRouter()
  .openapi(routes.getMe, handlers.getMe)
  .openapi(routes.listUsers, handlers.listUsers)
  .openapi(routes.updateMe, handlers.updateMe)
  .openapi(routes.deleteMe, handlers.deleteMe)
  .openapi(adminRoutes.getUser, adminHandlers.getUser)
  .openapi(adminRoutes.updateUser, adminHandlers.updateUser)
  .openapi(adminRoutes.deleteUser, adminHandlers.deleteUser)
  .openapi(adminRoutes.revokeUserSessions, adminHandlers.revokeUserSessions);
