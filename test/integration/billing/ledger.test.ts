/**
 * The booking statement itself (bookCredits) and the spending pieces the tasks API will use
 * (creditDebitCtes, refundTaskCredits), against the real database, concurrency included.
 */
import { sql as dsql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import {
  bookCredits,
  creditDebitCtes,
  insufficientCredits,
  refundTaskCredits,
} from "../../../src/features/credits/credits.service.ts";
import { sql } from "../../helpers/db.ts";
import { createUser } from "../../helpers/factories.ts";
import { db, expectLedgerMatchesBalance, giveCredits } from "./helpers.ts";

const credits = async (id: string) => (await sql`select credits from users where id = ${id}`)[0]?.credits;

describe("bookCredits", () => {
  it("changes the balance and writes the ledger row with the right balance_after", async () => {
    const user = await createUser();
    const r = await bookCredits(db(), {
      userId: user.id,
      delta: 7,
      reason: "admin_grant",
      reference: crypto.randomUUID(),
    });
    expect(r.status).toBe("booked");
    expect(r.balance).toBe(7);
    expect(r.entry).toMatchObject({ delta: 7, balance_after: 7, reason: "admin_grant" });
    expect(await credits(user.id)).toBe(7);
    await expectLedgerMatchesBalance(user.id);
  });

  it("books one (reason, reference) once: a second booking changes nothing", async () => {
    const user = await createUser();
    const booking = {
      userId: user.id,
      delta: 5,
      reason: "stripe_checkout",
      reference: `cs_${crypto.randomUUID()}`,
    } as const;
    expect((await bookCredits(db(), booking)).status).toBe("booked");
    expect((await bookCredits(db(), booking)).status).toBe("duplicate");
    expect(await credits(user.id)).toBe(5);
    await expectLedgerMatchesBalance(user.id);
  });

  it("books one (reason, reference) once even when 10 deliveries race", async () => {
    const user = await createUser();
    const booking = {
      userId: user.id,
      delta: 3,
      reason: "stripe_checkout",
      reference: `cs_${crypto.randomUUID()}`,
    } as const;
    const results = await Promise.all(Array.from({ length: 10 }, () => bookCredits(db(), booking)));
    expect(results.filter((r) => r.status === "booked")).toHaveLength(1);
    expect(results.filter((r) => r.status === "duplicate")).toHaveLength(9);
    expect(await credits(user.id)).toBe(3);
    await expectLedgerMatchesBalance(user.id);
  });

  it("refuses to go below zero and changes nothing", async () => {
    const user = await createUser();
    await giveCredits(user.id, 2);
    const r = await bookCredits(db(), {
      userId: user.id,
      delta: -3,
      reason: "admin_deduct",
      reference: crypto.randomUUID(),
    });
    expect(r).toMatchObject({ status: "insufficient", balance: 2 });
    expect(await credits(user.id)).toBe(2);
    await expectLedgerMatchesBalance(user.id);
  });

  it("clampAtZero takes what there is and records the rest as uncollected", async () => {
    const user = await createUser();
    await giveCredits(user.id, 2);
    const r = await bookCredits(db(), {
      userId: user.id,
      delta: -5,
      reason: "stripe_refund",
      reference: crypto.randomUUID(),
      clampAtZero: true,
    });
    expect(r.status).toBe("booked");
    expect(r.entry).toMatchObject({ delta: -2, balance_after: 0, uncollected: 3 });
    expect(await credits(user.id)).toBe(0);
    await expectLedgerMatchesBalance(user.id);
  });

  it("says no_user for an unknown user", async () => {
    const r = await bookCredits(db(), {
      userId: crypto.randomUUID(),
      delta: 1,
      reason: "admin_grant",
      reference: crypto.randomUUID(),
    });
    expect(r.status).toBe("no_user");
  });

  it("keeps balance_after consistent under 30 concurrent mixed bookings", async () => {
    const user = await createUser();
    await giveCredits(user.id, 10);
    const deltas = Array.from({ length: 30 }, (_, i) => (i % 3 === 0 ? 4 : -1));
    const results = await Promise.all(
      deltas.map((delta) =>
        bookCredits(db(), {
          userId: user.id,
          delta,
          reason: delta > 0 ? "admin_grant" : "admin_deduct",
          reference: crypto.randomUUID(),
        }),
      ),
    );
    const booked = results.filter((r) => r.status === "booked");
    expect(booked.length + results.filter((r) => r.status === "insufficient").length).toBe(30);
    await expectLedgerMatchesBalance(user.id);
  });

  it("the database itself refuses a negative balance (CHECK constraint), not only the code", async () => {
    const user = await createUser();
    await expect(sql`update users set credits = -1 where id = ${user.id}`).rejects.toThrow(
      /users_credits_check/,
    );
  });
});

describe("creditDebitCtes (the task insert's debit)", () => {
  /** A scratch statement standing in for the task insert: debit, then a dependent row. */
  const debit = async (userId: string, price: number) => {
    const reference = crypto.randomUUID();
    const result = await db().execute<{ balance: number | null; debited: boolean }>(dsql`
      with ${creditDebitCtes({ userId, price, reference })}
      select (select credits from credit_debit) as balance, exists (select 1 from credit_debit) as debited`);
    return { reference, ...(result.rows[0] as { balance: number | null; debited: boolean }) };
  };

  it("debits and writes a task_debit row; refuses when the balance does not cover the price", async () => {
    const user = await createUser();
    await giveCredits(user.id, 3);
    const ok = await debit(user.id, 2);
    expect(ok).toMatchObject({ debited: true, balance: 1 });
    const [row] =
      await sql`select delta, balance_after, reason from credit_ledger where reference = ${ok.reference}`;
    expect(row).toEqual({ delta: -2, balance_after: 1, reason: "task_debit" });
    expect(await debit(user.id, 2)).toMatchObject({ debited: false, balance: null });
    expect(await credits(user.id)).toBe(1);
    await expectLedgerMatchesBalance(user.id);
  });

  it("a free task (price 0) passes and writes no ledger row", async () => {
    const user = await createUser();
    const r = await debit(user.id, 0);
    expect(r.debited).toBe(true);
    expect(await sql`select 1 from credit_ledger where reference = ${r.reference}`).toHaveLength(0);
  });

  it("20 parallel debits of 1 against a balance of 5: exactly 5 succeed, 15 refused, balance 0", async () => {
    const user = await createUser();
    await giveCredits(user.id, 5);
    const results = await Promise.all(Array.from({ length: 20 }, () => debit(user.id, 1)));
    expect(results.filter((r) => r.debited)).toHaveLength(5);
    expect(results.filter((r) => !r.debited)).toHaveLength(15);
    expect(await credits(user.id)).toBe(0);
    await expectLedgerMatchesBalance(user.id);
  });

  it("refuses a negative or fractional price when building the statement", () => {
    expect(() => creditDebitCtes({ userId: crypto.randomUUID(), price: -1, reference: "x" })).toThrow();
    expect(() => creditDebitCtes({ userId: crypto.randomUUID(), price: 1.5, reference: "x" })).toThrow();
  });

  it("insufficientCredits is a 402 carrying balance and price", () => {
    const err = insufficientCredits(2, 5);
    expect(err).toMatchObject({
      status: 402,
      code: "insufficient_credits",
      extensions: { balance: 2, price: 5 },
    });
  });
});

describe("refundTaskCredits", () => {
  it("gives back what the task was charged, exactly once, even when called concurrently", async () => {
    const user = await createUser();
    await giveCredits(user.id, 5);
    const taskId = crypto.randomUUID();
    await db().execute(
      dsql`with ${creditDebitCtes({ userId: user.id, price: 3, reference: taskId })} select 1`,
    );
    expect(await credits(user.id)).toBe(2);
    const refunds = await Promise.all(Array.from({ length: 5 }, () => refundTaskCredits(db(), taskId)));
    expect(refunds.sort()).toEqual([0, 0, 0, 0, 3]);
    expect(await refundTaskCredits(db(), taskId)).toBe(0);
    expect(await credits(user.id)).toBe(5);
    await expectLedgerMatchesBalance(user.id);
  });

  it("refunds nothing for a task that was never charged", async () => {
    expect(await refundTaskCredits(db(), crypto.randomUUID())).toBe(0);
  });
});
