import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { afterEach, describe, expect, it, vi } from "vitest";
import worker from "../../src/index.ts";
import { jobHandlers, retryDelaySeconds } from "../../src/queues/consumer.ts";
import { testEnv } from "../helpers/harness.ts";

const QUEUE = "edge-auth-api-jobs";

afterEach(() => {
  jobHandlers.delete("test-ok");
  jobHandlers.delete("test-fail");
});

async function run(messages: { id: string; body: unknown; attempts?: number }[]) {
  const batch = createMessageBatch(
    QUEUE,
    messages.map((m) => ({ id: m.id, timestamp: new Date(), attempts: m.attempts ?? 1, body: m.body })),
  );
  // getQueueResult does not record retry options, so the delay is read from the calls themselves.
  const retrySpies = batch.messages.map((m) => vi.spyOn(m, "retry"));
  const ctx = createExecutionContext();
  await worker.queue(batch, testEnv, ctx);
  const result = await getQueueResult(batch, ctx);
  return { ...result, retryCalls: retrySpies.map((s) => s.mock.calls) };
}

describe("queue consumer", () => {
  it("acks a job whose handler succeeds, with the job it was given", async () => {
    const seen: unknown[] = [];
    jobHandlers.set("test-ok", async (job) => {
      seen.push(job);
    });
    const result = await run([{ id: "m1", body: { kind: "test-ok", id: "row-1" } }]);
    expect(result.explicitAcks).toEqual(["m1"]);
    expect(result.retryMessages).toEqual([]);
    expect(seen).toEqual([{ kind: "test-ok", id: "row-1" }]);
  });

  it("retries a failing job with exponential backoff", async () => {
    jobHandlers.set("test-fail", async () => {
      throw new Error("provider down");
    });
    const result = await run([{ id: "m2", body: { kind: "test-fail", id: "row-2" }, attempts: 3 }]);
    expect(result.explicitAcks).toEqual([]);
    expect(result.retryMessages).toEqual([{ msgId: "m2" }]);
    expect(result.retryCalls).toEqual([[[{ delaySeconds: 8 }]]]);
    expect([1, 2, 5, 20].map(retryDelaySeconds)).toEqual([2, 4, 32, 300]);
  });

  it("acks (drops and logs) messages that can never succeed: invalid or of an unknown kind", async () => {
    const result = await run([
      { id: "bad", body: "not an object" },
      { id: "unknown", body: { kind: "no-such-job", id: "x" } },
    ]);
    expect(result.explicitAcks.sort()).toEqual(["bad", "unknown"]);
    expect(result.retryMessages).toEqual([]);
  });
});
