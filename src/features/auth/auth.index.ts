import { createRouter } from "../../lib/router.ts";
import * as handlers from "./auth.handlers.ts";
import * as routes from "./auth.routes.ts";

export const authRouter = createRouter()
  .openapi(routes.register, handlers.register)
  .openapi(routes.registerAlias, handlers.register)
  .openapi(routes.login, handlers.login)
  .openapi(routes.loginJson, handlers.login)
  .openapi(routes.refresh, handlers.refresh)
  .openapi(routes.logout, handlers.logout)
  .openapi(routes.logoutAll, handlers.logoutAll)
  .openapi(routes.changePassword, handlers.changePassword)
  .openapi(routes.jwks, handlers.jwks)
  .openapi(routes.jwksWellKnown, handlers.jwks)
  .openapi(routes.verifyEmailLink, handlers.verifyEmailLink)
  .openapi(routes.verifyEmail, handlers.verifyEmail)
  .openapi(routes.resendVerification, handlers.resendVerification)
  .openapi(routes.passwordResetRequest, handlers.passwordResetRequest)
  .openapi(routes.passwordResetConfirm, handlers.passwordResetConfirm);
