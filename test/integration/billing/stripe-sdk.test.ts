import { describe, expect, it } from "vitest";
import { verifyStripeSignature } from "../../../src/services/stripe.ts";
import { signStripe, stripeSdk } from "./helpers.ts";

describe("webhook signatures: our verifier against Stripe's SDK (running inside workerd)", () => {
  const payload = '{"id":"evt_x","type":"ping","data":{"object":{}}}';

  it("accepts what Stripe signs, and Stripe accepts the same header", async () => {
    const header = await signStripe(payload, "whsec_test");
    expect(header).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
    expect(await verifyStripeSignature(header, payload, "whsec_test")).toBe(true);
    await expect(
      stripeSdk.webhooks.constructEventAsync(payload, header, "whsec_test"),
    ).resolves.toMatchObject({
      id: "evt_x",
    });
  });

  it("accepts any matching v1 among several (secret roll) and ignores other schemes", async () => {
    const header = await signStripe(payload, "whsec_new");
    const [t, v1] = header.split(",");
    const mixed = `${t},v0=abc,v1=${"0".repeat(64)},${v1}`;
    expect(await verifyStripeSignature(mixed, payload, "whsec_new")).toBe(true);
  });

  it.each([
    ["a tampered body", async () => [await signStripe(payload, "whsec_test"), `${payload} `]],
    ["another secret", async () => [await signStripe(payload, "whsec_other"), payload]],
    [
      "a stale timestamp",
      async () => [await signStripe(payload, "whsec_test", Math.floor(Date.now() / 1000) - 301), payload],
    ],
    [
      "a future timestamp",
      async () => [await signStripe(payload, "whsec_test", Math.floor(Date.now() / 1000) + 301), payload],
    ],
    ["no v1", async () => [`t=${Math.floor(Date.now() / 1000)}`, payload]],
    ["no t", async () => [`v1=${"a".repeat(64)}`, payload]],
    ["garbage", async () => ["garbage", payload]],
    ["a short v1", async () => [(await signStripe(payload, "whsec_test")).slice(0, -2), payload]],
  ] as const)("refuses %s", async (_label, make) => {
    const [header, body] = await make();
    expect(await verifyStripeSignature(header, body ?? "", "whsec_test")).toBe(false);
  });
});
