/** The "email" job: delivers one outbox row (see services/outbox.ts). */
import { getDb } from "../../db/client.ts";
import { loadConfig } from "../../env.ts";
import { createLogger } from "../../lib/logger.ts";
import { createMailer } from "../../services/mailer/index.ts";
import { deliverEmail, EMAIL_JOB } from "../../services/outbox.ts";
import { jobHandlers } from "../consumer.ts";

jobHandlers.set(EMAIL_JOB, async (job, env) => {
  const config = loadConfig(env);
  const logger = createLogger(config.LOG_LEVEL, { job: EMAIL_JOB, email_id: job.id });
  await deliverEmail(getDb(config), config, createMailer(config, logger), job.id, logger);
});
