import { createRouter } from "../../lib/router.ts";
import { getHealth } from "./health.handlers.ts";
import { health, healthV1 } from "./health.routes.ts";

export const healthRouter = createRouter().openapi(health, getHealth).openapi(healthV1, getHealth);
