import { version } from "../../../package.json";
import type { AppRouteHandler } from "../../lib/types.ts";
import { getRateLimiter } from "../../services/rate-limit/index.ts";
import type { HealthRoute } from "./health.routes.ts";
import { checkDatabase } from "./health.service.ts";

export const getHealth: AppRouteHandler<HealthRoute> = async (c) => {
  const config = c.get("config");
  const [database, redis] = await Promise.all([
    checkDatabase(c.get("db")),
    config.UPSTASH_REDIS_REST_URL ? getRateLimiter(config).status() : ("disabled" as const),
  ]);
  const status = database === "healthy" ? "healthy" : "unhealthy";
  return c.json({ status, database, redis, version } as const, status === "healthy" ? 200 : 503);
};
