import { loadConfig } from "../env.ts";
import { describeError } from "../lib/error-log.ts";
import { createLogger } from "../lib/logger.ts";
import { count, flushMetrics } from "../services/metrics/index.ts";
import { type JobMessage, JobMessageSchema } from "./messages.ts";

export type JobHandler = (job: JobMessage, env: Env) => Promise<void>;

/** Job handlers by message kind; features register theirs here. */
export const jobHandlers = new Map<string, JobHandler>();

/** Seconds before the next attempt: 2, 4, 8, ... capped at five minutes. */
export const retryDelaySeconds = (attempts: number) => Math.min(300, 2 ** Math.max(1, attempts));

/**
 * Queue consumer: validates each message and dispatches it by `kind`. A message that cannot ever
 * succeed (invalid, or of an unknown kind) is acknowledged and logged instead of retried forever;
 * a failing job is retried with backoff (then the queue's dead-letter queue takes it).
 */
export async function handleQueue(
  batch: MessageBatch<unknown>,
  env: Env,
  ctx?: ExecutionContext,
): Promise<void> {
  const config = loadConfig(env);
  const logger = createLogger(config.LOG_LEVEL, { queue: batch.queue });
  for (const message of batch.messages) {
    const parsed = JobMessageSchema.safeParse(message.body);
    const handler = parsed.success ? jobHandlers.get(parsed.data.kind) : undefined;
    if (!parsed.success || !handler) {
      logger.error("dropping queue message that no handler can process", { message_id: message.id });
      count(config, "queue_jobs_total", { kind: "unknown", outcome: "dropped" });
      message.ack();
      continue;
    }
    try {
      await handler(parsed.data, env);
      count(config, "queue_jobs_total", { kind: parsed.data.kind, outcome: "done" });
      message.ack();
    } catch (err) {
      logger.warn("job failed, will retry", {
        message_id: message.id,
        attempts: message.attempts,
        error: describeError(err),
      });
      count(config, "queue_jobs_total", { kind: parsed.data.kind, outcome: "retried" });
      message.retry({ delaySeconds: retryDelaySeconds(message.attempts) });
    }
  }
  const flushed = flushMetrics(config);
  if (ctx) ctx.waitUntil(flushed);
  else await flushed;
}
