import { afterEach, describe, expect, it } from "vitest";
import { taskImplementations } from "../../src/queues/jobs/task.ts";
import { sql } from "../helpers/db.ts";
import { createSignedInUser } from "../helpers/factories.ts";
import { api, envWith } from "../helpers/harness.ts";
import { deliver, fetchTask, startTask } from "../helpers/tasks.ts";

const originalAdd = taskImplementations.add;
afterEach(() => {
  taskImplementations.add = originalAdd;
});

const message = (id: string) => ({ kind: "task", id });

describe("task job: runs a task from PENDING to SUCCESS", () => {
  it("add: queued message {kind: task, id}, STARTED while running, then SUCCESS with x + y", async () => {
    const user = await createSignedInUser();
    const { id, task, sent } = await startTask(user, { type: "add", x: 2, y: 3.5 });
    expect(task).toMatchObject({ status: "PENDING", progress: 0, result: null, attempts: 0 });
    expect(sent).toEqual([message(id)]);

    let seenWhileRunning: unknown;
    taskImplementations.add = async (input, ctx) => {
      seenWhileRunning = (await sql`select status, attempts, started_at from tasks where id = ${id}`)[0];
      return originalAdd(input, ctx);
    };
    const result = await deliver(sent);
    expect(result.explicitAcks).toHaveLength(1);
    expect(seenWhileRunning).toMatchObject({ status: "STARTED", attempts: 1 });

    const done = await fetchTask(user, id);
    expect(done).toMatchObject({ status: "SUCCESS", progress: 100, result: 5.5, error: null, attempts: 1 });
    expect(done.started_at).not.toBeNull();
    expect(done.finished_at).not.toBeNull();
  });

  it.each([
    [[3, 1, 2, 10], { kind: "numbers", count: 4, sum: 16, min: 1, max: 10, mean: 4 }],
    [[], { kind: "numbers", count: 0, sum: 0, min: null, max: null, mean: null }],
    [
      [1, "a", null, [2], { b: 1 }, true],
      { kind: "array", count: 6, types: { number: 1, string: 1, boolean: 1, null: 1, array: 1, object: 1 } },
    ],
    ["The quick  brown fox\njumps", { kind: "text", characters: 26, words: 5, lines: 2 }],
    [
      { a: 1, b: { c: [{ d: 2 }] } },
      { kind: "object", keys: 2, total_keys: 4, depth: 4 },
    ],
  ])("process_data %j gives %j", async (data, expected) => {
    const user = await createSignedInUser();
    const { id, sent } = await startTask(user, { type: "process_data", data });
    await deliver(sent);
    expect(await fetchTask(user, id)).toMatchObject({ status: "SUCCESS", result: expected, progress: 100 });
  });

  it("long_running (2 s) reports progress and ends at 100", async () => {
    const user = await createSignedInUser();
    const { id, sent } = await startTask(user, { type: "long_running", duration_seconds: 2 });
    const run = deliver(sent);
    await new Promise((r) => setTimeout(r, 1500));
    const midway = await fetchTask(user, id);
    expect(midway).toMatchObject({ status: "STARTED", progress: 50 });
    await run;
    expect(await fetchTask(user, id)).toMatchObject({
      status: "SUCCESS",
      progress: 100,
      result: { seconds: 2 },
    });
  });
});

describe("task job: failures, retries and FAILURE", () => {
  it("a run that throws goes RETRY (message retried with backoff), then FAILURE after TASK_MAX_ATTEMPTS", async () => {
    const user = await createSignedInUser();
    const { id, sent } = await startTask(user, { type: "add", x: 1, y: 1 });
    let runs = 0;
    taskImplementations.add = async () => {
      runs++;
      throw new Error("calculator on fire");
    };
    const first = await deliver(sent, undefined, 1);
    expect(first.retryMessages).toHaveLength(1);
    expect(first.retryCalls[0]).toEqual([[{ delaySeconds: 2 }]]);
    expect(await fetchTask(user, id)).toMatchObject({
      status: "RETRY",
      attempts: 1,
      error: "Error: calculator on fire",
      finished_at: null,
    });
    const second = await deliver(sent, undefined, 2);
    expect(second.retryMessages).toHaveLength(1);
    expect(second.retryCalls[0]).toEqual([[{ delaySeconds: 4 }]]);
    const third = await deliver(sent, undefined, 3);
    expect(third.retryMessages).toEqual([]);
    expect(third.explicitAcks).toHaveLength(1);
    const failed = await fetchTask(user, id);
    expect(failed).toMatchObject({ status: "FAILURE", attempts: 3, error: "Error: calculator on fire" });
    expect(failed.finished_at).not.toBeNull();
    expect(runs).toBe(3);
    // A late duplicate of the message does not run it again.
    await deliver(sent);
    expect(runs).toBe(3);
  });

  it("TASK_MAX_ATTEMPTS is configurable: 1 means the first failure is final", async () => {
    const user = await createSignedInUser();
    const { id, sent } = await startTask(user, { type: "add", x: 1, y: 1 });
    taskImplementations.add = async () => {
      throw new Error("no");
    };
    const result = await deliver(sent, envWith({ TASK_MAX_ATTEMPTS: "1" }));
    expect(result.explicitAcks).toHaveLength(1);
    expect(await fetchTask(user, id)).toMatchObject({ status: "FAILURE", attempts: 1 });
  });

  it("a result that cannot succeed on retry (sum overflows) is FAILURE at once", async () => {
    const user = await createSignedInUser();
    const { id, sent } = await startTask(user, { type: "process_data", data: [1e308, 1e308] });
    const result = await deliver(sent);
    expect(result.retryMessages).toEqual([]);
    expect(await fetchTask(user, id)).toMatchObject({ status: "FAILURE", attempts: 1 });
  });
});

describe("task job: exactly one run per task", () => {
  const counting = () => {
    const counter = { runs: 0 };
    taskImplementations.add = async (input, ctx) => {
      counter.runs++;
      await new Promise((r) => setTimeout(r, 50));
      return originalAdd(input, ctx);
    };
    return counter;
  };

  it("the same message twice in one batch runs the job once", async () => {
    const user = await createSignedInUser();
    const { id, sent } = await startTask(user, { type: "add", x: 1, y: 2 });
    const counter = counting();
    const result = await deliver([...sent, ...sent]);
    expect(result.explicitAcks).toHaveLength(2);
    expect(counter.runs).toBe(1);
    expect(await fetchTask(user, id)).toMatchObject({ status: "SUCCESS", result: 3, attempts: 1 });
  });

  it("the same message in two parallel batches runs the job once", async () => {
    const user = await createSignedInUser();
    const { id, sent } = await startTask(user, { type: "add", x: 4, y: 2 });
    const counter = counting();
    await Promise.all([deliver(sent), deliver(sent), deliver(sent)]);
    expect(counter.runs).toBe(1);
    expect(await fetchTask(user, id)).toMatchObject({ status: "SUCCESS", result: 6, attempts: 1 });
  });

  it("a message for a task that does not exist (or a malformed id) is acknowledged", async () => {
    const result = await deliver([message(crypto.randomUUID()), message("not-a-uuid")]);
    expect(result.explicitAcks).toHaveLength(2);
    expect(result.retryMessages).toEqual([]);
  });
});

describe("task job: revocation", () => {
  it("a task revoked before it runs never runs and stays REVOKED", async () => {
    const user = await createSignedInUser();
    const { id, sent } = await startTask(user, { type: "add", x: 1, y: 2 });
    const revoked = await api("POST", `/api/v1/tasks/${id}/revoke`, { token: user.tokens.access_token });
    expect(revoked.status, revoked.dump).toBe(200);
    const counter = { runs: 0 };
    taskImplementations.add = async () => {
      counter.runs++;
      return 0;
    };
    await deliver(sent);
    expect(counter.runs).toBe(0);
    expect(await fetchTask(user, id)).toMatchObject({ status: "REVOKED", attempts: 0, result: null });
  });

  it("revoking a running long_running task stops it at its next step", async () => {
    const user = await createSignedInUser();
    const { id, sent } = await startTask(user, { type: "long_running", duration_seconds: 10 });
    const started = Date.now();
    const run = deliver(sent);
    await new Promise((r) => setTimeout(r, 1300));
    const revoked = await api("POST", `/api/v1/tasks/${id}/revoke`, { token: user.tokens.access_token });
    expect(revoked.status, revoked.dump).toBe(200);
    await run;
    // It stopped at the next one-second step, not after ten.
    expect(Date.now() - started).toBeLessThan(4000);
    const task = await fetchTask(user, id);
    expect(task).toMatchObject({ status: "REVOKED", result: null });
    expect(task.progress).toBeLessThan(100);
    expect((await sql`select progress from tasks where id = ${id}`)[0]?.progress).toBe(task.progress);
  });
});
