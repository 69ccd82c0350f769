/**
 * Drives the real queue consumer (`worker.queue`) inside workerd, as Cloudflare Queues would.
 */
import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { vi } from "vitest";
import worker from "../../src/index.ts";
import { type TestEnv, testEnv } from "./harness.ts";

export const QUEUE_NAME = "edge-auth-api-jobs";

let messageSeq = 0;

/** Runs the consumer over one batch of `bodies`; returns acks, retries and the retry delays asked for. */
export async function runConsumer(
  bodies: unknown[],
  env: TestEnv = testEnv,
  options: { attempts?: number } = {},
) {
  const batch = createMessageBatch(
    QUEUE_NAME,
    bodies.map((body) => ({
      id: `msg-${++messageSeq}-${crypto.randomUUID().slice(0, 8)}`,
      timestamp: new Date(),
      attempts: options.attempts ?? 1,
      body,
    })),
  );
  // getQueueResult does not record retry options, so the delay is read from the calls themselves.
  const retrySpies = batch.messages.map((m) => vi.spyOn(m, "retry"));
  const ctx = createExecutionContext();
  await worker.queue(batch, env, ctx);
  const result = await getQueueResult(batch, ctx);
  return { ...result, ids: batch.messages.map((m) => m.id), retryCalls: retrySpies.map((s) => s.mock.calls) };
}
