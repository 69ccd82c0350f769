/**
 * Worker entry: HTTP requests, queue batches and cron triggers.
 */
import { createApp } from "./app.ts";
import { handleQueue } from "./queues/consumer.ts";
import "./queues/jobs/index.ts";
import type { JobMessage } from "./queues/messages.ts";
import { handleScheduled } from "./scheduled.ts";

const app = createApp();

export default {
  fetch: app.fetch,
  queue: handleQueue,
  scheduled: handleScheduled,
} satisfies ExportedHandler<Env, JobMessage>;
