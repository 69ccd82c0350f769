import { getDb } from "./db/client.ts";
import { loadConfig } from "./env.ts";
import { createLogger } from "./lib/logger.ts";
import { cleanupJobs } from "./services/cleanup.ts";

/** Cron trigger: periodic clean-up (expired sessions and one-time tokens; outbox re-drive). */
export async function handleScheduled(
  controller: ScheduledController,
  env: Env,
  ctx: ExecutionContext,
): Promise<void> {
  const config = loadConfig(env);
  const logger = createLogger(config.LOG_LEVEL, { cron: controller.cron });
  const db = getDb(config);
  for (const job of cleanupJobs) {
    try {
      const affected = await job.run(db, config, ctx);
      logger.info("scheduled job done", { job: job.name, affected });
    } catch (err) {
      logger.error("scheduled job failed", { job: job.name, error: String(err) });
    }
  }
}
