import { createRouter } from "../../lib/router.ts";
import * as handlers from "./events.handlers.ts";
import * as routes from "./events.routes.ts";

/** The security-event and audit logs (read-only: nothing here writes them). */
export const eventsRouter = createRouter()
  .openapi(routes.listMySecurityEvents, handlers.listMySecurityEvents)
  .openapi(routes.listAuditEvents, handlers.listAuditEvents);
