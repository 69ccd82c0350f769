/**
 * POST /api/v1/billing/webhook with payloads signed by Stripe's own SDK.
 */
import { describe, expect, it } from "vitest";
import { countRoundTrips, sql } from "../../helpers/db.ts";
import { createUser } from "../../helpers/factories.ts";
import { api, envWith } from "../../helpers/harness.ts";
import { expectLedgerMatchesBalance, giveCredits, signStripe } from "./helpers.ts";

const SECRET = "whsec_test_secret";
const env = envWith({ STRIPE_WEBHOOK_SECRET: SECRET });
const PATH = "/api/v1/billing/webhook";

const completed = (
  userId: string,
  opts: { session?: string; pi?: string; credits?: number; event?: string } = {},
) => ({
  id: opts.event ?? `evt_${crypto.randomUUID()}`,
  object: "event",
  type: "checkout.session.completed",
  data: {
    object: {
      id: opts.session ?? `cs_test_${crypto.randomUUID()}`,
      object: "checkout.session",
      client_reference_id: userId,
      payment_status: "paid",
      payment_intent: opts.pi ?? `pi_${crypto.randomUUID()}`,
      metadata: { pack: "starter", credits: String(opts.credits ?? 100) },
    },
  },
});

const refunded = (pi: string, amount: number, amountRefunded: number, charge = `ch_${pi}`) => ({
  id: `evt_${crypto.randomUUID()}`,
  object: "event",
  type: "charge.refunded",
  data: {
    object: { id: charge, object: "charge", payment_intent: pi, amount, amount_refunded: amountRefunded },
  },
});

async function deliver(
  event: unknown,
  opts: { header?: string | null; body?: string; secret?: string; timestamp?: number } = {},
) {
  const body = opts.body ?? JSON.stringify(event);
  const header =
    opts.header === undefined ? await signStripe(body, opts.secret ?? SECRET, opts.timestamp) : opts.header;
  return api("POST", PATH, {
    env,
    body,
    headers: {
      "Content-Type": "application/json",
      ...(header === null ? {} : { "Stripe-Signature": header }),
    },
  });
}

const state = async (userId: string) => ({
  credits: (await sql`select credits from users where id = ${userId}`)[0]?.credits,
  ledger: (await sql`select count(*)::int as n from credit_ledger where user_id = ${userId}`)[0]?.n,
});
const eventSeen = async (id: string) =>
  (await sql`select 1 from stripe_events where id = ${id}`).length === 1;

describe("webhook: checkout.session.completed", () => {
  it("credits the pack once, with the payment intent kept for refunds", async () => {
    const user = await createUser();
    const event = completed(user.id, { credits: 100, pi: `pi_kept${crypto.randomUUID()}` });
    const res = await deliver(event);
    expect(res.status, res.dump).toBe(200);
    expect(res.body).toEqual({ received: true });
    expect(await state(user.id)).toEqual({ credits: 100, ledger: 1 });
    const [row] =
      await sql`select reason, reference, external_ref from credit_ledger where user_id = ${user.id}`;
    expect(row).toEqual({
      reason: "stripe_checkout",
      reference: event.data.object.id,
      external_ref: event.data.object.payment_intent,
    });
    expect(await eventSeen(event.id)).toBe(true);
    await expectLedgerMatchesBalance(user.id);
  });

  it("a replayed event id answers 200 and changes nothing", async () => {
    const user = await createUser();
    const event = completed(user.id);
    expect((await deliver(event)).status).toBe(200);
    const again = await deliver(event);
    expect(again.status, again.dump).toBe(200);
    expect(await state(user.id)).toEqual({ credits: 100, ledger: 1 });
    await expectLedgerMatchesBalance(user.id);
  });

  it("the same event delivered 10 times at once credits once", async () => {
    const user = await createUser();
    const event = completed(user.id);
    const results = await Promise.all(Array.from({ length: 10 }, () => deliver(event)));
    expect(results.map((r) => r.status)).toEqual(Array(10).fill(200));
    expect(await state(user.id)).toEqual({ credits: 100, ledger: 1 });
    await expectLedgerMatchesBalance(user.id);
  });

  it("two different events for the same session credit once (and both are recorded)", async () => {
    const user = await createUser();
    const session = `cs_test_${crypto.randomUUID()}`;
    const a = completed(user.id, { session });
    const b = { ...completed(user.id, { session }), type: "checkout.session.async_payment_succeeded" };
    expect((await deliver(a)).status).toBe(200);
    expect((await deliver(b)).status).toBe(200);
    expect(await state(user.id)).toEqual({ credits: 100, ledger: 1 });
    expect(await eventSeen(a.id)).toBe(true);
    expect(await eventSeen(b.id)).toBe(true);
    await expectLedgerMatchesBalance(user.id);
  });

  it("ten different events for the same session at once credit once", async () => {
    const user = await createUser();
    const session = `cs_test_${crypto.randomUUID()}`;
    const events = Array.from({ length: 10 }, () => completed(user.id, { session }));
    const results = await Promise.all(events.map((e) => deliver(e)));
    expect(results.map((r) => r.status)).toEqual(Array(10).fill(200));
    expect(await state(user.id)).toEqual({ credits: 100, ledger: 1 });
    for (const e of events) expect(await eventSeen(e.id), e.id).toBe(true);
    await expectLedgerMatchesBalance(user.id);
  });

  it("costs one database round trip per event", async () => {
    const user = await createUser();
    const body = JSON.stringify(completed(user.id));
    const header = await signStripe(body, SECRET);
    const { result, sqlRequests } = await countRoundTrips((e) =>
      api("POST", PATH, {
        env: { ...e, STRIPE_WEBHOOK_SECRET: SECRET },
        body,
        headers: { "Content-Type": "application/json", "Stripe-Signature": header },
      }),
    );
    expect(result.status, result.dump).toBe(200);
    expect(sqlRequests).toBe(1);
    await expectLedgerMatchesBalance(user.id);
  });

  it("an unpaid session (asynchronous payment pending) credits nothing", async () => {
    const user = await createUser();
    const event = completed(user.id);
    event.data.object.payment_status = "unpaid";
    expect((await deliver(event)).status).toBe(200);
    expect(await state(user.id)).toEqual({ credits: 0, ledger: 0 });
    expect(await eventSeen(event.id)).toBe(true);
  });

  it("other event types answer 200, are recorded and change nothing", async () => {
    const event = {
      id: `evt_${crypto.randomUUID()}`,
      type: "customer.created",
      data: { object: { id: "cus_1" } },
    };
    const res = await deliver(event);
    expect(res.status, res.dump).toBe(200);
    expect(await eventSeen(event.id)).toBe(true);
  });
});

describe("webhook: signatures", () => {
  const now = () => Math.floor(Date.now() / 1000);
  it.each([
    [
      "a tampered body",
      async (body: string) => ({
        body: body.replace('"100"', '"900"'),
        header: await signStripe(body, SECRET),
      }),
    ],
    ["a wrong secret", async (body: string) => ({ body, header: await signStripe(body, "whsec_wrong") })],
    [
      "a stale timestamp",
      async (body: string) => ({ body, header: await signStripe(body, SECRET, now() - 301) }),
    ],
    ["a missing header", async (body: string) => ({ body, header: null })],
    ["a malformed header", async (body: string) => ({ body, header: "t=abc,v1=zz" })],
    ["an empty header", async (body: string) => ({ body, header: "" })],
  ] as const)("refuses %s with 400 invalid_signature and changes nothing", async (_label, make) => {
    const user = await createUser();
    await giveCredits(user.id, 1);
    const event = completed(user.id);
    const { body, header } = await make(JSON.stringify(event));
    const res = await deliver(event, { body, header });
    expect(res.status, res.dump).toBe(400);
    expect(res.body.code).toBe("invalid_signature");
    expect(await state(user.id)).toEqual({ credits: 1, ledger: 1 });
    expect(await eventSeen(event.id)).toBe(false);
    await expectLedgerMatchesBalance(user.id);
  });

  it("a validly signed body that is not an event is 400 invalid_event", async () => {
    const res = await deliver(null, { body: '{"hello":"world"}' });
    expect(res.status, res.dump).toBe(400);
    expect(res.body.code).toBe("invalid_event");
  });

  it("without STRIPE_WEBHOOK_SECRET the webhook is 503 billing_not_configured", async () => {
    const res = await api("POST", PATH, {
      json: { id: "evt_1", type: "x", data: { object: {} } },
      headers: { "Stripe-Signature": "t=1,v1=00" },
    });
    expect(res.status, res.dump).toBe(503);
    expect(res.body.code).toBe("billing_not_configured");
  });
});

describe("webhook: charge.refunded", () => {
  it("takes back the refunded credits once", async () => {
    const user = await createUser();
    const pi = `pi_${crypto.randomUUID()}`;
    await deliver(completed(user.id, { pi, credits: 100 }));
    const refund = refunded(pi, 1000, 1000);
    expect((await deliver(refund)).status).toBe(200);
    expect(await state(user.id)).toEqual({ credits: 0, ledger: 2 });
    // The same refund state delivered again as a new event id changes nothing either.
    expect((await deliver({ ...refund, id: `evt_${crypto.randomUUID()}` })).status).toBe(200);
    expect(await state(user.id)).toEqual({ credits: 0, ledger: 2 });
    await expectLedgerMatchesBalance(user.id);
  });

  it("never goes below zero: what was already spent is recorded as uncollected", async () => {
    const user = await createUser();
    const pi = `pi_${crypto.randomUUID()}`;
    await deliver(completed(user.id, { pi, credits: 100 }));
    await sql`with u as (update users set credits = credits - 70 where id = ${user.id} returning id, credits)
      insert into credit_ledger (user_id, delta, balance_after, reason, reference) select id, -70, credits, 'task_debit', gen_random_uuid()::text from u`;
    expect((await deliver(refunded(pi, 1000, 1000))).status).toBe(200);
    const [row] =
      await sql`select delta, balance_after, uncollected from credit_ledger where user_id = ${user.id} and reason = 'stripe_refund'`;
    expect(row).toEqual({ delta: -30, balance_after: 0, uncollected: 70 });
    await expectLedgerMatchesBalance(user.id);
  });

  it("partial refunds take back their share, cumulatively", async () => {
    const user = await createUser();
    const pi = `pi_${crypto.randomUUID()}`;
    await deliver(completed(user.id, { pi, credits: 100 }));
    await deliver(refunded(pi, 1000, 250));
    expect((await state(user.id)).credits).toBe(75);
    await deliver(refunded(pi, 1000, 1000));
    expect((await state(user.id)).credits).toBe(0);
    await expectLedgerMatchesBalance(user.id);
  });

  it("a refund of a payment we never credited is acknowledged and changes nothing", async () => {
    const event = refunded(`pi_${crypto.randomUUID()}`, 1000, 1000);
    expect((await deliver(event)).status).toBe(200);
    expect(await eventSeen(event.id)).toBe(true);
  });
});
