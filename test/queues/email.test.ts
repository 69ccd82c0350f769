import { afterEach, describe, expect, it, vi } from "vitest";
import { sql } from "../helpers/db.ts";
import { createUser } from "../helpers/factories.ts";
import { mockResend, resendEnv, runConsumer } from "../helpers/mail.ts";
import { jobsQueue } from "../helpers/queue.ts";

afterEach(() => {
  vi.restoreAllMocks();
});

/** Registers a user (which writes its verification e-mail) and returns the outbox row. */
async function queuedVerificationMail() {
  const user = await createUser();
  const [row] = await sql`select id, status, attempts, payload from email_outbox where "to" = ${user.email}`;
  expect(row?.status).toBe("pending");
  // What the Worker queued for it, taken off the recorder so no other test delivers it.
  expect(jobsQueue.take((b) => (b as { id?: string }).id === row?.id)).toEqual([
    { kind: "email", id: row?.id },
  ]);
  return { user, row: row as { id: string; payload: { subject: string; text: string; html: string } } };
}

const statusOf = async (id: string) =>
  (await sql`select status, attempts, last_error, sent_at from email_outbox where id = ${id}`)[0];

describe("email job", () => {
  it("sends the outbox row through Resend exactly as documented, and marks it sent", async () => {
    const { user, row } = await queuedVerificationMail();
    const calls = mockResend(200);
    const result = await runConsumer([{ kind: "email", id: row.id }], resendEnv());
    expect(result.explicitAcks).toEqual(result.ids);
    expect(calls).toEqual([
      {
        url: "https://api.resend.com/emails",
        method: "POST",
        headers: {
          authorization: "Bearer re_test_key",
          "content-type": "application/json",
          "idempotency-key": `email/${row.id}`,
        },
        body: {
          from: "auth@example.com",
          to: [user.email],
          subject: "Confirm your e-mail address",
          text: row.payload.text,
          html: row.payload.html,
        },
      },
    ]);
    expect(row.payload.text).toMatch(/http:\/\/localhost\/api\/v1\/auth\/verify\/[A-Za-z0-9_-]{43}/);
    expect(await statusOf(row.id)).toMatchObject({ status: "sent", attempts: 1, last_error: null });
  });

  it("sends once when the same message is delivered twice, one after the other", async () => {
    const { row } = await queuedVerificationMail();
    const calls = mockResend(200);
    const first = await runConsumer([{ kind: "email", id: row.id }], resendEnv());
    const second = await runConsumer([{ kind: "email", id: row.id }], resendEnv());
    expect(calls).toHaveLength(1);
    expect([...first.explicitAcks, ...second.explicitAcks]).toHaveLength(2);
    expect(await statusOf(row.id)).toMatchObject({ status: "sent", attempts: 1 });
  });

  it("sends once when the same message is delivered twice concurrently (and twice in one batch)", async () => {
    const { row } = await queuedVerificationMail();
    const calls = mockResend(200);
    const env = resendEnv();
    const body = { kind: "email", id: row.id };
    const results = await Promise.all([runConsumer([body, body], env), runConsumer([body], env)]);
    expect(calls).toHaveLength(1);
    expect(results.flatMap((r) => r.retryMessages)).toEqual([]);
    expect(await statusOf(row.id)).toMatchObject({ status: "sent", attempts: 1 });
  });

  it("puts a failed send back to pending and retries with backoff, then marks it failed after EMAIL_MAX_ATTEMPTS", async () => {
    const { row } = await queuedVerificationMail();
    const calls = mockResend(500);
    const env = resendEnv({ EMAIL_MAX_ATTEMPTS: "3" });
    const body = { kind: "email", id: row.id };

    const first = await runConsumer([body], env, { attempts: 1 });
    expect(first.retryMessages).toEqual([{ msgId: first.ids[0] }]);
    expect(first.retryCalls).toEqual([[[{ delaySeconds: 2 }]]]);
    expect(await statusOf(row.id)).toMatchObject({
      status: "pending",
      attempts: 1,
      last_error: "EmailProviderError: resend answered 500",
    });

    const second = await runConsumer([body], env, { attempts: 2 });
    expect(second.retryCalls).toEqual([[[{ delaySeconds: 4 }]]]);
    expect(await statusOf(row.id)).toMatchObject({ status: "pending", attempts: 2 });

    // The last attempt: marked failed and acknowledged, so it does not go on to the dead-letter queue.
    const third = await runConsumer([body], env, { attempts: 3 });
    expect(third.explicitAcks).toEqual(third.ids);
    expect(third.retryMessages).toEqual([]);
    expect(await statusOf(row.id)).toMatchObject({ status: "failed", attempts: 3, sent_at: null });

    // A late duplicate changes nothing and sends nothing.
    const late = await runConsumer([body], env);
    expect(late.explicitAcks).toEqual(late.ids);
    expect(calls).toHaveLength(3);
  });

  it("recovers when the provider comes back: fails once, then sends on the retry", async () => {
    const { row } = await queuedVerificationMail();
    let answers = 0;
    const calls = mockResend(() => (++answers === 1 ? 503 : 200));
    const env = resendEnv();
    const body = { kind: "email", id: row.id };
    expect((await runConsumer([body], env)).retryMessages).toHaveLength(1);
    expect((await runConsumer([body], env, { attempts: 2 })).explicitAcks).toHaveLength(1);
    expect(calls).toHaveLength(2);
    // Both attempts carried the same idempotency key, so Resend itself would not deliver twice.
    expect(new Set(calls.map((c) => c.headers["idempotency-key"]))).toEqual(new Set([`email/${row.id}`]));
    expect(await statusOf(row.id)).toMatchObject({ status: "sent", attempts: 2, last_error: null });
  });

  it("acknowledges a message for an outbox row that does not exist without sending anything", async () => {
    const calls = mockResend(200);
    const result = await runConsumer([{ kind: "email", id: crypto.randomUUID() }], resendEnv());
    expect(result.explicitAcks).toEqual(result.ids);
    expect(calls).toEqual([]);
  });
});
