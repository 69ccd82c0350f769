import { createRouter } from "../../lib/router.ts";
import * as handlers from "./billing.handlers.ts";
import * as routes from "./billing.routes.ts";

export const billingRouter = createRouter()
  .openapi(routes.checkout, handlers.checkout)
  .openapi(routes.webhook, handlers.webhook);
