/**
 * Billing test helpers: the ledger/balance invariant, a database client for service-level tests,
 * and Stripe's own webhook signing.
 */
import Stripe from "stripe";
import { expect } from "vitest";
import { getDb } from "../../../src/db/client.ts";
import { loadConfig } from "../../../src/env.ts";
import { sql } from "../../helpers/db.ts";
import { testEnv } from "../../helpers/harness.ts";

/** The Worker's own request-path client over the test database. */
export const db = () => getDb(loadConfig(testEnv));

/** The invariant every billing test ends with: sum(delta) = credits = the newest balance_after. */
export async function expectLedgerMatchesBalance(userId: string): Promise<void> {
  const [row] = await sql`
    select u.credits,
      (select coalesce(sum(delta), 0)::int from credit_ledger where user_id = u.id) as sum,
      (select balance_after from credit_ledger where user_id = u.id order by id desc limit 1) as last
    from users u where u.id = ${userId}`;
  expect(row, `user ${userId} exists`).toBeDefined();
  expect(row?.sum, "sum(delta) = credits").toBe(row?.credits);
  if (row?.last !== null) expect(row?.last, "newest balance_after = credits").toBe(row?.credits);
  // Every row's balance_after follows from the one before it (no lost or reordered update).
  const rows =
    await sql`select delta, balance_after from credit_ledger where user_id = ${userId} order by id`;
  let balance = 0;
  for (const r of rows) {
    balance += r.delta;
    expect(r.balance_after, `running balance at ${JSON.stringify(r)}`).toBe(balance);
  }
}

/** Sets a user's balance with a matching ledger row (as an admin grant would). */
export async function giveCredits(userId: string, credits: number): Promise<void> {
  await sql`
    with u as (update users set credits = credits + ${credits} where id = ${userId} returning id, credits)
    insert into credit_ledger (user_id, delta, balance_after, reason, reference)
    select id, ${credits}, credits, 'admin_grant', gen_random_uuid()::text from u`;
}

const stripe = new Stripe("sk_test_x");

/**
 * A Stripe-Signature header made by Stripe's own SDK (inside workerd the SDK uses SubtleCrypto,
 * which is async, hence `generateTestHeaderStringAsync`).
 */
export function signStripe(payload: string, secret: string, timestamp?: number): Promise<string> {
  return stripe.webhooks.generateTestHeaderStringAsync({
    payload,
    secret,
    ...(timestamp ? { timestamp } : {}),
  });
}

export { stripe as stripeSdk };
