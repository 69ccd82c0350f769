import { createScheduledController } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import worker from "../../../src/index.ts";
import { sql } from "../../helpers/db.ts";
import { unique } from "../../helpers/factories.ts";
import { api, envWith, testEnv } from "../../helpers/harness.ts";
import { mailbox, runConsumer } from "../../helpers/mail.ts";
import { baseJobsQueue } from "../../helpers/queue.ts";

const cron = () => createScheduledController({ cron: "*/5 * * * *" });

/** The real JOBS_QUEUE binding, with what is sent through it recorded so the test can deliver it. */
function realQueueRecording() {
  const sent: unknown[] = [];
  const queue = {
    send: async (body: unknown) => {
      sent.push(body);
      await baseJobsQueue.send(body);
    },
    sendBatch: async (messages: { body: unknown }[]) => {
      sent.push(...messages.map((m) => m.body));
      await baseJobsQueue.sendBatch(messages);
    },
  };
  return { sent, env: envWith({ JOBS_QUEUE: queue }) };
}

describe("nothing is lost", () => {
  it("a queue send that fails after the write is re-driven by the cron trigger and the mail arrives", async () => {
    const down = envWith({
      JOBS_QUEUE: {
        send: async () => {
          throw new Error("queue down");
        },
      },
    });
    const username = `crash_${unique()}`;
    const email = `${username}@example.com`;
    const res = await api("POST", "/api/v1/auth/register", {
      json: { username, email, password: "violet-harbor-lantern-42" },
      env: down,
    });
    // The answer does not depend on the queue: the mail is committed with the account.
    expect(res.status, res.dump).toBe(201);
    const [row] = await sql`select id, status from email_outbox where "to" = ${email}`;
    expect(row?.status).toBe("pending");

    // Not yet: a row is re-driven only once it has been pending past the threshold.
    const early = realQueueRecording();
    await worker.scheduled(cron(), early.env, {} as ExecutionContext);
    expect(early.sent).not.toContainEqual({ kind: "email", id: row?.id });

    await sql`update email_outbox set next_attempt_at = now() - interval '3 minutes' where id = ${row?.id}`;
    const { sent, env } = realQueueRecording();
    await worker.scheduled(cron(), env, {} as ExecutionContext);
    expect(sent).toContainEqual({ kind: "email", id: row?.id });

    const delivered = await runConsumer([{ kind: "email", id: row?.id }]);
    expect(delivered.explicitAcks).toEqual(delivered.ids);
    const items = await mailbox(email);
    expect(items.map((i) => i.subject)).toEqual(["Confirm your e-mail address"]);
  });

  it("a row left `sending` by a consumer that died is re-driven once its claim lapses", async () => {
    const username = `stuck_${unique()}`;
    const email = `${username}@example.com`;
    await api("POST", "/api/v1/auth/register", {
      json: { username, email, password: "violet-harbor-lantern-42" },
    });
    const [row] = await sql`update email_outbox set status = 'sending', attempts = 1,
                              next_attempt_at = now() - interval '1 second'
                            where "to" = ${email} returning id`;
    const { sent, env } = realQueueRecording();
    await worker.scheduled(cron(), env, {} as ExecutionContext);
    expect(sent).toContainEqual({ kind: "email", id: row?.id });
    const [after] = await sql`select status, last_error from email_outbox where id = ${row?.id}`;
    expect(after).toEqual({ status: "pending", last_error: "claim lapsed: the consumer stopped mid-send" });
    await runConsumer([{ kind: "email", id: row?.id }], testEnv);
    expect(await mailbox(email)).toHaveLength(1);
    const [done] = await sql`select status, attempts from email_outbox where id = ${row?.id}`;
    expect(done).toEqual({ status: "sent", attempts: 2 });
  });

  it("purges expired and used one-time tokens after a day", async () => {
    const username = `purge_${unique()}`;
    const res = await api("POST", "/api/v1/auth/register", {
      json: { username, email: `${username}@example.com`, password: "violet-harbor-lantern-42" },
    });
    const userId = res.body.id as string;
    await sql`insert into one_time_tokens (token_hash, user_id, purpose, email, expires_at, used_at) values
      (${`old-${unique()}`}, ${userId}, 'reset_password', 'x@example.com', now() - interval '25 hours', null),
      (${`used-${unique()}`}, ${userId}, 'reset_password', 'x@example.com', now() + interval '1 hour', now() - interval '25 hours')`;
    await worker.scheduled(cron(), testEnv, {} as ExecutionContext);
    const left = await sql`select purpose from one_time_tokens where user_id = ${userId}`;
    expect(left).toEqual([{ purpose: "verify_email" }]);
  });
});
