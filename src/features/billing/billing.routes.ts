import { createRoute, z } from "@hono/zod-openapi";
import type { SchemaObject } from "openapi3-ts/oas31";
import { BODY_PROBLEMS, COMMON_PROBLEMS, jsonContent, problems } from "../../lib/openapi.ts";
import { protectedRoute } from "../../lib/protected-route.ts";

export const CheckoutBody = z
  .object({
    pack: z
      .string()
      .min(1)
      .max(64)
      // The shape CREDIT_PACKS ids must have (src/env.ts); any other id is unknown anyway.
      .regex(/^[a-z0-9_-]+$/)
      .openapi({ description: "A pack id from CREDIT_PACKS.", example: "starter" }),
  })
  .strict()
  .openapi("CheckoutRequest", { example: { pack: "starter" } });

const CheckoutSchema = z
  .object({
    url: z.url().max(4096).openapi({ description: "Stripe Checkout page to send the user to." }),
    session_id: z
      .string()
      .max(255)
      .regex(/^cs_[A-Za-z0-9_]+$/)
      .openapi({ example: "cs_test_a1b2c3" }),
  })
  .strict()
  .openapi("Checkout", {
    example: { url: "https://checkout.stripe.com/c/pay/cs_test_a1b2c3", session_id: "cs_test_a1b2c3" },
  });

export const checkout = protectedRoute(
  { session: "in-statement" },
  {
    method: "post",
    path: "/api/v1/billing/checkout",
    operationId: "createCheckout",
    tags: ["Billing"],
    summary: "Start buying a credit pack (Stripe Checkout)",
    description:
      "Creates a Stripe Checkout Session (mode `payment`) for the pack and answers its URL. The credits are " +
      "booked when Stripe reports the payment to the webhook, not here. An unknown pack is 422 `unknown_pack`; " +
      "without STRIPE_SECRET_KEY the answer is 503 `billing_not_configured`; a Stripe failure is 502 " +
      "`payment_provider_error`.",
    request: { body: { required: true, content: jsonContent(CheckoutBody) } },
    responses: {
      200: { description: "The Checkout Session.", content: jsonContent(CheckoutSchema) },
      ...problems(...BODY_PROBLEMS, "BadGateway", "NotConfigured", ...COMMON_PROBLEMS),
    },
  },
);
export type CheckoutRoute = typeof checkout;

const WebhookReceivedSchema = z
  .object({ received: z.literal(true) })
  .strict()
  .openapi("WebhookReceived", { example: { received: true } });

/** Documentation only: the body is read raw (the signature covers its exact bytes), then checked. */
const StripeEventDoc: SchemaObject = {
  type: "object",
  description: "A Stripe event (https://docs.stripe.com/api/events/object).",
  required: ["id", "type", "data"],
  properties: {
    id: { type: "string", maxLength: 255, pattern: "^evt_[A-Za-z0-9_]+$", example: "evt_1" },
    type: { type: "string", maxLength: 255, pattern: "^[a-z_.]+$", example: "checkout.session.completed" },
    data: { type: "object", required: ["object"], properties: { object: { type: "object" } } },
  },
  example: {
    id: "evt_1",
    type: "checkout.session.completed",
    data: { object: { id: "cs_test_a1b2c3", object: "checkout.session", payment_status: "paid" } },
  },
};

export const webhook = createRoute({
  method: "post",
  path: "/api/v1/billing/webhook",
  operationId: "stripeWebhook",
  tags: ["Billing"],
  summary: "Stripe webhook (credits bought and refunded)",
  description:
    "Called by Stripe, not by clients. Authenticated by the `Stripe-Signature` header: " +
    '`t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<raw body>" with STRIPE_WEBHOOK_SECRET>` (several `v1` ' +
    "allowed); `t` must be within 300 s. A missing, malformed or wrong signature is 400 `invalid_signature` " +
    "and changes nothing; a signed body sent as anything but `application/json` is 400 " +
    "`invalid_content_type`. Handles `checkout.session.completed` (and `checkout.session.async_payment_succeeded`): " +
    "the pack's credits are booked once per event id and once per Checkout Session; `charge.refunded`: the " +
    "refunded share of those credits is taken back, never below a zero balance. Every other event type is " +
    "acknowledged and ignored. A replayed event id answers 200 and changes nothing.",
  security: [{ stripeSignature: [] }],
  request: {
    body: { required: true, content: { "application/json": { schema: StripeEventDoc } } },
  },
  responses: {
    200: { description: "Received (booked, or nothing to do).", content: jsonContent(WebhookReceivedSchema) },
    ...problems("BadRequest", "PayloadTooLarge", "NotConfigured", ...COMMON_PROBLEMS),
  },
});
export type WebhookRoute = typeof webhook;
