import { createRouter } from "../../lib/router.ts";
import * as handlers from "./dev.handlers.ts";
import * as routes from "./dev.routes.ts";

/** Development-only routes (each guarded by `devOnly`, and left out of the document elsewhere). */
export const devRouter = createRouter().openapi(routes.mailbox, handlers.mailbox);
