import { createScheduledController } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import worker from "../../../src/index.ts";
import { retryDelaySeconds } from "../../../src/queues/consumer.ts";
import type { JobMessage } from "../../../src/queues/messages.ts";
import { sql } from "../../helpers/db.ts";
import { createSignedInUser } from "../../helpers/factories.ts";
import { api, envWith, type TestEnv } from "../../helpers/harness.ts";
import { deliver, fetchTask, recordingEnv } from "../../helpers/tasks.ts";

const cron = (env: TestEnv) =>
  worker.scheduled(createScheduledController({ cron: "*/5 * * * *" }), env, {} as ExecutionContext);

/** The task messages a cron run queues. */
async function redriven(): Promise<JobMessage[]> {
  const { env, sent } = recordingEnv();
  await cron(env);
  return sent;
}

describe("nothing is lost: the cron trigger re-drives tasks", () => {
  it("a task whose queue send failed (crash between write and send) is re-driven and completes", async () => {
    const user = await createSignedInUser();
    const down = envWith({
      JOBS_QUEUE: {
        send: async () => {
          throw new Error("down");
        },
      },
    });
    const res = await api("POST", "/api/v1/tasks", {
      token: user.tokens.access_token,
      json: { type: "add", x: 20, y: 22 },
      env: down,
    });
    // The caller is not failed by the queue: the row is the record.
    expect(res.status, res.dump).toBe(202);
    const id = res.body.id as string;

    // Not yet: a fresh PENDING task may simply have its message in flight.
    expect(await redriven()).not.toContainEqual({ kind: "task", id });

    await sql`update tasks set updated_at = now() - interval '3 minutes' where id = ${id}`;
    const sent = await redriven();
    expect(sent).toContainEqual({ kind: "task", id });
    // Sent once: the re-drive marks the row, so the next run does not send it again at once.
    expect(await redriven()).not.toContainEqual({ kind: "task", id });

    await deliver([{ kind: "task", id }]);
    expect(await fetchTask(user, id)).toMatchObject({ status: "SUCCESS", result: 42 });
  });

  it("a RETRY task is re-driven only once its backoff is overdue; a stale STARTED one (dead consumer) too", async () => {
    const user = await createSignedInUser();
    const { env } = recordingEnv();
    const make = async () =>
      (
        await api("POST", "/api/v1/tasks", {
          token: user.tokens.access_token,
          json: { type: "add", x: 1, y: 1 },
          env,
        })
      ).body.id as string;
    const [retryDue, retryWaiting, stale, staleExhausted, running, done] = [
      await make(),
      await make(),
      await make(),
      await make(),
      await make(),
      await make(),
    ];
    // attempts 5: the consumer's backoff is retryDelaySeconds(5) = 32 s, then the two-minute threshold.
    // The waiting one is past the threshold alone, so it is held back only by the backoff.
    const backoff = retryDelaySeconds(5);
    await sql`update tasks set status = 'RETRY', attempts = 5,
      updated_at = now() - make_interval(secs => ${backoff + 125}) where id = ${retryDue}`;
    await sql`update tasks set status = 'RETRY', attempts = 5,
      updated_at = now() - make_interval(secs => ${backoff + 100}) where id = ${retryWaiting}`;
    await sql`update tasks set status = 'STARTED', attempts = 1, updated_at = now() - interval '3 minutes' where id = ${stale}`;
    await sql`update tasks set status = 'STARTED', attempts = 10, updated_at = now() - interval '3 minutes' where id = ${staleExhausted}`;
    await sql`update tasks set status = 'STARTED', attempts = 1, updated_at = now() - interval '10 seconds' where id = ${running}`;
    await sql`update tasks set status = 'SUCCESS', updated_at = now() - interval '1 day' where id = ${done}`;

    const { env: cronEnv, sent } = recordingEnv({ TASK_MAX_ATTEMPTS: "10" });
    await cron(cronEnv);
    const ids = sent.map((m) => m.id);
    expect(ids).toContain(retryDue);
    expect(ids).toContain(stale);
    for (const id of [retryWaiting, staleExhausted, running, done]) expect(ids).not.toContain(id);

    expect(await fetchTask(user, stale)).toMatchObject({ status: "RETRY", attempts: 1 });
    const exhausted = await fetchTask(user, staleExhausted);
    expect(exhausted).toMatchObject({
      status: "FAILURE",
      error: "The worker stopped before the task finished.",
    });
    expect(exhausted.finished_at).not.toBeNull();

    await deliver([{ kind: "task", id: stale }]);
    expect(await fetchTask(user, stale)).toMatchObject({ status: "SUCCESS", result: 2, attempts: 2 });
  });
});
