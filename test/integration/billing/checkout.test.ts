/**
 * POST /api/v1/billing/checkout. Only Stripe's HTTP boundary is replaced: the Worker runs in this
 * isolate, so `globalThis.fetch` is spied on and requests to api.stripe.com answered here; every
 * other request (the database gateway) goes through untouched.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { countRoundTrips, sql } from "../../helpers/db.ts";
import { createSignedInUser } from "../../helpers/factories.ts";
import { api, envWith } from "../../helpers/harness.ts";

const PACKS = JSON.stringify([
  { id: "starter", credits: 100, price_id: "price_starter" },
  { id: "pro", credits: 1000, price_id: "price_pro" },
]);
const env = envWith({ STRIPE_SECRET_KEY: "sk_test_checkout", CREDIT_PACKS: PACKS });

interface Captured {
  url: string;
  method: string;
  headers: Headers;
  form: URLSearchParams;
}
let stripeCalls: Captured[];
let stripeAnswer: (call: Captured) => Response;
const realFetch = globalThis.fetch;

beforeEach(() => {
  stripeCalls = [];
  stripeAnswer = (call) =>
    call.url.endsWith("/v1/customers")
      ? Response.json({ id: `cus_${crypto.randomUUID().slice(0, 8)}`, object: "customer" })
      : Response.json({
          id: "cs_test_123",
          object: "checkout.session",
          url: "https://checkout.stripe.com/c/pay/cs_test_123",
        });
  vi.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => {
    const request = new Request(input, init);
    if (new URL(request.url).hostname !== "api.stripe.com") return realFetch(input, init);
    const call = {
      url: request.url,
      method: request.method,
      headers: request.headers,
      form: new URLSearchParams(await request.text()),
    };
    stripeCalls.push(call);
    return stripeAnswer(call);
  });
});
afterEach(() => vi.restoreAllMocks());

const checkout = (token: string, pack = "starter", e = env) =>
  api("POST", "/api/v1/billing/checkout", { token, json: { pack }, env: e });

describe("POST /api/v1/billing/checkout", () => {
  it("creates the customer once, then a payment session with exactly the fields we mean", async () => {
    const user = await createSignedInUser();
    const res = await checkout(user.tokens.access_token);
    expect(res.status, res.dump).toBe(200);
    expect(res.body).toEqual({
      url: "https://checkout.stripe.com/c/pay/cs_test_123",
      session_id: "cs_test_123",
    });

    expect(stripeCalls.map((c) => `${c.method} ${c.url}`)).toEqual([
      "POST https://api.stripe.com/v1/customers",
      "POST https://api.stripe.com/v1/checkout/sessions",
    ]);
    const [customer, session] = stripeCalls as [Captured, Captured];
    for (const call of stripeCalls) {
      expect(call.headers.get("Authorization")).toBe("Bearer sk_test_checkout");
      expect(call.headers.get("Content-Type")).toBe("application/x-www-form-urlencoded");
      expect(call.headers.get("Idempotency-Key")).toMatch(/\S{8,}/);
    }
    expect(customer.headers.get("Idempotency-Key")).toBe(`customer-${user.id}`);
    expect(Object.fromEntries(customer.form)).toEqual({ email: user.email, "metadata[user_id]": user.id });
    const [stored] = await sql`select stripe_customer_id from users where id = ${user.id}`;
    expect(Object.fromEntries(session.form)).toEqual({
      mode: "payment",
      "line_items[0][price]": "price_starter",
      "line_items[0][quantity]": "1",
      client_reference_id: user.id,
      customer: stored?.stripe_customer_id,
      "metadata[pack]": "starter",
      "metadata[credits]": "100",
      success_url: "http://localhost/billing/success?session_id={CHECKOUT_SESSION_ID}",
      cancel_url: "http://localhost/billing/cancel",
    });

    // The second checkout reuses the stored customer.
    stripeCalls = [];
    const again = await checkout(user.tokens.access_token, "pro");
    expect(again.status, again.dump).toBe(200);
    expect(stripeCalls.map((c) => c.url)).toEqual(["https://api.stripe.com/v1/checkout/sessions"]);
    expect(stripeCalls[0]?.form.get("customer")).toBe(stored?.stripe_customer_id);
    expect(stripeCalls[0]?.form.get("line_items[0][price]")).toBe("price_pro");
    expect(stripeCalls[0]?.headers.get("Idempotency-Key")).not.toBe(session.headers.get("Idempotency-Key"));
  });

  it("never exposes the Stripe customer id in the User object", async () => {
    const user = await createSignedInUser();
    await checkout(user.tokens.access_token);
    const me = await api("GET", "/api/v1/users/me", { token: user.tokens.access_token });
    expect(JSON.stringify(me.body)).not.toMatch(/cus_|stripe/);
  });

  it("an unknown pack is 422 unknown_pack, and Stripe is not called", async () => {
    const user = await createSignedInUser();
    const res = await checkout(user.tokens.access_token, "platinum");
    expect(res.status, res.dump).toBe(422);
    expect(res.body.code).toBe("unknown_pack");
    expect(stripeCalls).toEqual([]);
  });

  it("without STRIPE_SECRET_KEY a known pack is 503 billing_not_configured", async () => {
    const user = await createSignedInUser();
    const res = await checkout(user.tokens.access_token, "starter", envWith({ CREDIT_PACKS: PACKS }));
    expect(res.status, res.dump).toBe(503);
    expect(res.body.code).toBe("billing_not_configured");
    expect(stripeCalls).toEqual([]);
  });

  it("a dead session is 401 even when billing is not configured", async () => {
    const user = await createSignedInUser();
    await api("POST", "/api/v1/auth/logout", { token: user.tokens.access_token });
    const res = await checkout(user.tokens.access_token, "starter", envWith({ CREDIT_PACKS: PACKS }));
    expect(res.status, res.dump).toBe(401);
  });

  it.each([
    ["a Stripe 500", () => new Response('{"error":{"type":"api_error"}}', { status: 500 })],
    ["a Stripe 400", () => Response.json({ error: { type: "invalid_request_error" } }, { status: 400 })],
    ["a body that is not JSON", () => new Response("<html>", { status: 200 })],
    [
      "a network failure",
      () => {
        throw new TypeError("fetch failed");
      },
    ],
  ])("%s is 502 payment_provider_error, and no customer id is stored", async (_label, answer) => {
    stripeAnswer = answer;
    const user = await createSignedInUser();
    const res = await checkout(user.tokens.access_token);
    expect(res.status, res.dump).toBe(502);
    expect(res.body.code).toBe("payment_provider_error");
    expect(
      (await sql`select stripe_customer_id from users where id = ${user.id}`)[0]?.stripe_customer_id,
    ).toBeNull();
  });

  it("a Stripe failure on the session (after the customer was made) is 502 and keeps the customer", async () => {
    stripeAnswer = (call) =>
      call.url.endsWith("/v1/customers")
        ? Response.json({ id: "cus_kept" })
        : new Response('{"error":{}}', { status: 503 });
    const user = await createSignedInUser();
    const res = await checkout(user.tokens.access_token);
    expect(res.status, res.dump).toBe(502);
    expect(
      (await sql`select stripe_customer_id from users where id = ${user.id}`)[0]?.stripe_customer_id,
    ).toBe("cus_kept");
  });

  it("costs 2 round trips the first time (read, store the customer) and 1 after", async () => {
    const user = await createSignedInUser();
    const first = await countRoundTrips((e) =>
      checkout(user.tokens.access_token, "starter", {
        ...e,
        STRIPE_SECRET_KEY: "sk_test_rt",
        CREDIT_PACKS: PACKS,
      }),
    );
    expect(first.result.status, first.result.dump).toBe(200);
    expect(first.sqlRequests).toBe(2);
    const second = await countRoundTrips((e) =>
      checkout(user.tokens.access_token, "starter", {
        ...e,
        STRIPE_SECRET_KEY: "sk_test_rt",
        CREDIT_PACKS: PACKS,
      }),
    );
    expect(second.sqlRequests).toBe(1);
  });
});
