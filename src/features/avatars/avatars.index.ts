import { createRouter } from "../../lib/router.ts";
import * as handlers from "./avatars.handlers.ts";
import * as routes from "./avatars.routes.ts";

/** Avatars: upload and remove the caller's, serve anyone's from R2. */
export const avatarsRouter = createRouter()
  .openapi(routes.uploadAvatar, handlers.uploadAvatar)
  .openapi(routes.deleteAvatar, handlers.deleteAvatar)
  .openapi(routes.getAvatar, handlers.getAvatar);
