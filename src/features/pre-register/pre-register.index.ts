import { createRouter } from "../../lib/router.ts";
import * as handlers from "./pre-register.handlers.ts";
import * as routes from "./pre-register.routes.ts";

/** Pre-registration: POST (anyone, rate limited), GET (admins). */
export const preRegisterRouter = createRouter()
  .openapi(routes.preRegister, handlers.preRegister)
  .openapi(routes.listPreRegistrations, handlers.listPreRegistrations);
