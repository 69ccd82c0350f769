import { version } from "../../../package.json";
import type { AppRouteHandler } from "../../lib/types.ts";
import type { HealthRoute } from "./health.routes.ts";
import { checkDatabase } from "./health.service.ts";

export const getHealth: AppRouteHandler<HealthRoute> = async (c) => {
  const database = await checkDatabase(c.get("db"));
  const redis = c.get("config").UPSTASH_REDIS_REST_URL ? "healthy" : "disabled";
  const status = database === "healthy" ? "healthy" : "unhealthy";
  return c.json({ status, database, redis, version } as const, status === "healthy" ? 200 : 503);
};
