import { createExecutionContext } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import worker from "../../../src/index.ts";
import { taskImplementations } from "../../../src/queues/jobs/task.ts";
import { sql } from "../../helpers/db.ts";
import { createSignedInUser } from "../../helpers/factories.ts";
import { api, envWith } from "../../helpers/harness.ts";
import { deliver } from "../../helpers/tasks.ts";
import { expectLedgerMatchesBalance, giveCredits } from "./helpers.ts";

const priced = envWith({ TASK_COST_ADD: "1", TASK_COST_LONG_RUNNING: "3", TASK_MAX_ATTEMPTS: "1" });

const balance = async (userId: string) =>
  Number((await sql`select credits from users where id = ${userId}`)[0]?.credits);

describe("task pricing", () => {
  it("20 parallel creations against a balance that covers 5: exactly 5 succeed, 15 are 402, balance 0", async () => {
    const user = await createSignedInUser();
    await giveCredits(user.id, 5);
    const results = await Promise.all(
      Array.from({ length: 20 }, () =>
        api("POST", "/api/v1/tasks", {
          token: user.tokens.access_token,
          env: priced,
          json: { type: "add", x: 1, y: 2 },
        }),
      ),
    );
    const statuses = results.map((r) => r.status).sort();
    expect(statuses.filter((s) => s === 202)).toHaveLength(5);
    expect(statuses.filter((s) => s === 402)).toHaveLength(15);
    const refused = results.find((r) => r.status === 402);
    expect(refused?.body).toMatchObject({ code: "insufficient_credits", price: 1 });
    expect(await balance(user.id)).toBe(0);
    const [{ n }] = (await sql`select count(*)::int as n from tasks where user_id = ${user.id}`) as [
      { n: number },
    ];
    expect(n).toBe(5);
    await expectLedgerMatchesBalance(user.id);
  });

  it("402 carries the balance and the price, and creates nothing", async () => {
    const user = await createSignedInUser();
    await giveCredits(user.id, 2);
    const res = await api("POST", "/api/v1/tasks", {
      token: user.tokens.access_token,
      env: priced,
      json: { type: "long_running", duration_seconds: 1 },
    });
    expect(res.status, res.dump).toBe(402);
    expect(res.body).toMatchObject({ code: "insufficient_credits", balance: 2, price: 3 });
    expect(await sql`select id from tasks where user_id = ${user.id}`).toEqual([]);
    expect(await balance(user.id)).toBe(2);
  });

  it("a revoked task and a failed task are refunded exactly once; a successful one is not", async () => {
    const user = await createSignedInUser();
    await giveCredits(user.id, 3);
    const create = async () => {
      const res = await api("POST", "/api/v1/tasks", {
        token: user.tokens.access_token,
        env: priced,
        json: { type: "add", x: 1, y: 1 },
      });
      expect(res.status, res.dump).toBe(202);
      return res.body.id as string;
    };
    const revoked = await create();
    expect(await balance(user.id)).toBe(2);
    expect(
      (await api("POST", `/api/v1/tasks/${revoked}/revoke`, { token: user.tokens.access_token, env: priced }))
        .status,
    ).toBe(200);
    expect(await balance(user.id)).toBe(3);
    // Revoking again is 409 and refunds nothing.
    expect(
      (await api("POST", `/api/v1/tasks/${revoked}/revoke`, { token: user.tokens.access_token, env: priced }))
        .status,
    ).toBe(409);
    expect(await balance(user.id)).toBe(3);

    const failing = await create();
    const real = taskImplementations.add;
    taskImplementations.add = async () => {
      throw new Error("boom");
    };
    try {
      await deliver([{ kind: "task", id: failing }], priced);
    } finally {
      taskImplementations.add = real;
    }
    const [row] = await sql`select status from tasks where id = ${failing}`;
    expect(row?.status).toBe("FAILURE");
    expect(await balance(user.id)).toBe(3);

    const succeeding = await create();
    await deliver([{ kind: "task", id: succeeding }], priced);
    expect((await sql`select status from tasks where id = ${succeeding}`)[0]?.status).toBe("SUCCESS");
    expect(await balance(user.id)).toBe(2);

    // The cron sweep finds nothing left to refund: each refund happened once.
    const { createScheduledController } = await import("cloudflare:test");
    await worker.scheduled(
      createScheduledController({ cron: "*/5 * * * *" }),
      priced,
      createExecutionContext(),
    );
    expect(await balance(user.id)).toBe(2);
    const refunds =
      await sql`select reference from credit_ledger where user_id = ${user.id} and reason = 'task_refund' order by reference`;
    expect(refunds.map((r) => r.reference).sort()).toEqual([revoked, failing].sort());
    await expectLedgerMatchesBalance(user.id);
  });

  it("the cron sweep refunds a failed task whose refund a crash prevented", async () => {
    const user = await createSignedInUser();
    await giveCredits(user.id, 1);
    const res = await api("POST", "/api/v1/tasks", {
      token: user.tokens.access_token,
      env: priced,
      json: { type: "add", x: 1, y: 1 },
    });
    expect(res.status, res.dump).toBe(202);
    // As if the consumer died between marking FAILURE and refunding.
    await sql`update tasks set status = 'FAILURE', finished_at = now() where id = ${res.body.id}`;
    expect(await balance(user.id)).toBe(0);
    const { createScheduledController } = await import("cloudflare:test");
    await worker.scheduled(
      createScheduledController({ cron: "*/5 * * * *" }),
      priced,
      createExecutionContext(),
    );
    expect(await balance(user.id)).toBe(1);
    await expectLedgerMatchesBalance(user.id);
  });
});
