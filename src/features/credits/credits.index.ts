import { createRouter } from "../../lib/router.ts";
import * as handlers from "./credits.handlers.ts";
import * as routes from "./credits.routes.ts";

export const creditsRouter = createRouter()
  .openapi(routes.getMyCredits, handlers.getMyCredits)
  .openapi(routes.changeUserCredits, handlers.changeUserCredits);
