import { getDb } from "./db/client.ts";
import { loadConfig } from "./env.ts";
import { describeError } from "./lib/error-log.ts";
import { createLogger } from "./lib/logger.ts";
import { cleanupJobs } from "./services/cleanup.ts";

/** Cron trigger: runs the clean-up and re-drive jobs in order; one failing does not stop the others. */
export async function handleScheduled(
  controller: ScheduledController,
  env: Env,
  _ctx?: ExecutionContext,
): Promise<void> {
  const config = loadConfig(env);
  const logger = createLogger(config.LOG_LEVEL, { cron: controller.cron });
  const db = getDb(config);
  for (const job of cleanupJobs) {
    try {
      const affected = await job.run(db, config, env);
      logger.info("scheduled job done", { job: job.name, affected });
    } catch (err) {
      logger.error("scheduled job failed", { job: job.name, error: describeError(err) });
    }
  }
}
