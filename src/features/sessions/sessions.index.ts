import { createRouter } from "../../lib/router.ts";
import * as handlers from "./sessions.handlers.ts";
import * as routes from "./sessions.routes.ts";

/** Logged-in devices: GET /users/me/sessions, DELETE /users/me/sessions/{id}. */
export const sessionsRouter = createRouter()
  .openapi(routes.listSessions, handlers.listSessions)
  .openapi(routes.revokeSession, handlers.revokeSession);
