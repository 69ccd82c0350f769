import { ApiError } from "../../lib/errors.ts";
import type { AppRouteHandler } from "../../lib/types.ts";
import { verifyStripeSignature } from "../../services/stripe.ts";
import type { CheckoutRoute, WebhookRoute } from "./billing.routes.ts";
import * as billing from "./billing.service.ts";

export const checkout: AppRouteHandler<CheckoutRoute> = async (c) => {
  const config = c.get("config");
  // An unknown pack is the client's mistake whether or not payments are configured.
  const pack = billing.findPack(config, c.req.valid("json").pack);
  const session = await billing.createCheckout(c.get("db"), c.get("gate"), config, pack);
  return c.json(session, 200);
};

const invalidSignature = () =>
  new ApiError(400, "invalid_signature", {
    detail: "The Stripe-Signature header is missing or does not verify.",
  });

export const webhook: AppRouteHandler<WebhookRoute> = async (c) => {
  const config = c.get("config");
  const secret = config.STRIPE_WEBHOOK_SECRET;
  if (!secret) throw billing.billingNotConfigured();
  // The raw bytes as sent: the signature covers them exactly, so nothing may parse them first.
  const raw = await c.req.text();
  if (!(await verifyStripeSignature(c.req.header("Stripe-Signature"), raw, secret))) throw invalidSignature();
  // Read raw, so the router's media-type gate never ran: the body must still be the JSON declared.
  if (!/^application\/json\s*(;|$)/i.test(c.req.header("Content-Type") ?? ""))
    throw new ApiError(400, "invalid_content_type", {
      detail: "The request's Content-Type is not one this endpoint accepts (send application/json).",
    });
  const event = billing.parseStripeEvent(raw);
  if (!event) throw new ApiError(400, "invalid_event", { detail: "The body is not a Stripe event." });
  const outcome = await billing.handleStripeEvent(c.get("db"), event, c.get("logger"));
  c.get("logger").info("stripe event", { event_id: event.id, type: event.type, outcome });
  return c.json({ received: true as const }, 200);
};
