import { loadConfig } from "../env.ts";
import { createLogger } from "../lib/logger.ts";
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
  _ctx?: ExecutionContext,
): Promise<void> {
  const logger = createLogger(loadConfig(env).LOG_LEVEL, { queue: batch.queue });
  for (const message of batch.messages) {
    const parsed = JobMessageSchema.safeParse(message.body);
    const handler = parsed.success ? jobHandlers.get(parsed.data.kind) : undefined;
    if (!parsed.success || !handler) {
      logger.error("dropping queue message that no handler can process", { message_id: message.id });
      message.ack();
      continue;
    }
    try {
      await handler(parsed.data, env);
      message.ack();
    } catch (err) {
      logger.warn("job failed, will retry", {
        message_id: message.id,
        attempts: message.attempts,
        error: String(err),
      });
      message.retry({ delaySeconds: retryDelaySeconds(message.attempts) });
    }
  }
}
