/**
 * Buying credits with Stripe Checkout, and the webhook that books them.
 *
 * Checkout: the caller's Stripe Customer is created once (Idempotency-Key derived from the user id,
 * so concurrent first checkouts get the same customer) and kept in `users.stripe_customer_id`; the
 * Checkout Session carries the user id (`client_reference_id`) and the pack (`metadata`).
 *
 * Webhook: each event is processed in ONE statement that records its id in `stripe_events` and,
 * only when that insert is new, books the ledger (see credits.service.ts): a replayed event id
 * changes nothing, and a second event for the same session changes nothing either (the ledger's
 * `(stripe_checkout, session id)` is unique).
 */

import { type SQL, sql } from "drizzle-orm";
import type { Db } from "../../db/client.ts";
import type { Config, CreditPack } from "../../env.ts";
import { ApiError } from "../../lib/errors.ts";
import type { Logger } from "../../lib/logger.ts";
import { isUuid, unstorableStrings } from "../../lib/postgres.ts";
import type { SessionGate } from "../../services/session-gate.ts";
import { stripePost } from "../../services/stripe.ts";
import { type BookingResult, bookCredits } from "../credits/credits.service.ts";

/** 503 `billing_not_configured`: no STRIPE_SECRET_KEY (or webhook secret) on this deployment. */
export const billingNotConfigured = () =>
  new ApiError(503, "billing_not_configured", {
    detail: "Payments are not configured on this deployment.",
  });

/** The pack with this id, or 422 `unknown_pack`. */
export function findPack(config: Config, id: string): CreditPack {
  const pack = config.CREDIT_PACKS.find((p) => p.id === id);
  if (!pack) {
    throw new ApiError(422, "unknown_pack", {
      detail: "No credit pack has that id.",
      errors: [
        {
          path: "pack",
          message: `Unknown pack; one of: ${config.CREDIT_PACKS.map((p) => p.id).join(", ") || "(none configured)"}`,
        },
      ],
    });
  }
  return pack;
}

/**
 * Creates a Checkout Session (mode `payment`) for `pack`. Round trips: 1 (the caller's e-mail and
 * customer id, through the gate), plus 1 the first time (storing the new customer id).
 */
export async function createCheckout(
  db: Db,
  gate: SessionGate,
  config: Config,
  pack: CreditPack,
): Promise<{ url: string; session_id: string }> {
  const result = await db.execute<{ id: string; email: string; stripe_customer_id: string | null }>(
    sql`select id, email, stripe_customer_id from users where id = ${gate.userId}`,
  );
  const user = result.rows[0];
  if (!user) throw gate.denied();
  // Past the gate: only now may "not configured" be said (a dead session must hear 401).
  const key = config.STRIPE_SECRET_KEY;
  if (!key) throw billingNotConfigured();

  let customer = user.stripe_customer_id;
  if (!customer) {
    const created = await stripePost<{ id?: unknown }>(
      key,
      "/v1/customers",
      { email: user.email, "metadata[user_id]": user.id },
      `customer-${user.id}`,
    );
    if (typeof created.id !== "string")
      throw new ApiError(502, "payment_provider_error", {
        detail: "The payment provider answered without a customer id.",
      });
    // coalesce: a concurrent first checkout may have stored it already; keep the first.
    const stored = await db.execute<{ stripe_customer_id: string }>(
      sql`update users set stripe_customer_id = coalesce(stripe_customer_id, ${created.id}) where id = ${user.id} returning stripe_customer_id`,
    );
    customer = stored.rows[0]?.stripe_customer_id ?? created.id;
  }

  const appUrl = config.APP_URL.replace(/\/$/, "");
  const session = await stripePost<{ id?: unknown; url?: unknown }>(
    key,
    "/v1/checkout/sessions",
    {
      mode: "payment",
      "line_items[0][price]": pack.price_id,
      "line_items[0][quantity]": "1",
      client_reference_id: user.id,
      customer,
      "metadata[pack]": pack.id,
      "metadata[credits]": String(pack.credits),
      success_url: `${appUrl}/billing/success?session_id={CHECKOUT_SESSION_ID}`,
      cancel_url: `${appUrl}/billing/cancel`,
    },
    // Each checkout is a new purchase; the key only makes Stripe's own retries of this POST safe.
    `checkout-${user.id}-${crypto.randomUUID()}`,
  );
  if (typeof session.id !== "string" || typeof session.url !== "string") {
    throw new ApiError(502, "payment_provider_error", {
      detail: "The payment provider answered without a session URL.",
    });
  }
  return { url: session.url, session_id: session.id };
}

/** The parts of a Stripe event the webhook reads (validated by hand: Stripe adds fields freely). */
export interface StripeEvent {
  id: string;
  type: string;
  data: { object: Record<string, unknown> };
}

/** A parsed event, or undefined when the body is not one, or holds what no row can (400 for the caller). */
export function parseStripeEvent(raw: string): StripeEvent | undefined {
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    return undefined;
  }
  const e = json as Partial<StripeEvent> | null;
  if (
    !e ||
    unstorableStrings(e).length > 0 ||
    typeof e.id !== "string" ||
    e.id.length === 0 ||
    e.id.length > 255 ||
    typeof e.type !== "string" ||
    typeof e.data?.object !== "object" ||
    e.data.object === null
  ) {
    return undefined;
  }
  return e as StripeEvent;
}

const str = (v: unknown): string | undefined => (typeof v === "string" && v.length > 0 ? v : undefined);
const idOf = (v: unknown): string | undefined => str(v) ?? str((v as { id?: unknown } | null)?.id);

/** What the webhook did with an event (for the log and the tests). */
export type WebhookOutcome = "credited" | "refunded" | "duplicate" | "ignored";

/** CTE `ev`: records the event id; a row only when it is new (so the booking runs at most once). */
const recordEvent = (event: StripeEvent): SQL =>
  sql`ev as (insert into stripe_events (id, type) values (${event.id}, ${event.type}) on conflict (id) do nothing returning id)`;

/** Records an event we do not book anything for. True when it was new. */
async function recordOnly(db: Db, event: StripeEvent): Promise<boolean> {
  const result = await db.execute(sql`with ${recordEvent(event)} select count(*)::int as n from ev`);
  return Number(result.rows[0]?.n) === 1;
}

/** Books a verified event once; unknown types are only recorded. One round trip per event. */
export async function handleStripeEvent(db: Db, event: StripeEvent, logger: Logger): Promise<WebhookOutcome> {
  const object = event.data.object;
  switch (event.type) {
    case "checkout.session.completed":
    case "checkout.session.async_payment_succeeded": {
      const sessionId = str(object.id);
      const userId = str(object.client_reference_id);
      const metadata = (object.metadata ?? {}) as Record<string, unknown>;
      const credits = Number(metadata.credits);
      // Asynchronous payment methods complete unpaid; their async_payment_succeeded event books.
      const paid = object.payment_status === "paid" || object.payment_status === "no_payment_required";
      if (!sessionId || !userId || !isUuid(userId) || !Number.isInteger(credits) || credits <= 0 || !paid) {
        logger.warn("stripe checkout event not booked", { event_id: event.id, session_id: sessionId, paid });
        return (await recordOnly(db, event)) ? "ignored" : "duplicate";
      }
      const result = await bookCredits(db, {
        before: recordEvent(event),
        when: sql`exists (select 1 from ev)`,
        userId,
        delta: credits,
        reason: "stripe_checkout",
        reference: sessionId,
        externalRef: idOf(object.payment_intent) ?? null,
        also: sql`exists (select 1 from ev) as fresh`,
      });
      return afterBooking(db, event, result, "credited", logger);
    }
    case "charge.refunded": {
      const chargeId = str(object.id);
      const paymentIntent = idOf(object.payment_intent);
      const amount = Number(object.amount);
      const refunded = Number(object.amount_refunded);
      if (!chargeId || !paymentIntent || !(amount > 0) || !(refunded >= 0)) {
        return (await recordOnly(db, event)) ? "ignored" : "duplicate";
      }
      // What this payment bought, and what earlier refunds of it already took (or failed to take).
      const bought = sql`(select user_id, delta from credit_ledger where reason = 'stripe_checkout' and external_ref = ${paymentIntent} limit 1)`;
      const reclaimed = sql`(select coalesce(sum(-delta + uncollected), 0) from credit_ledger where reason = 'stripe_refund' and external_ref = ${paymentIntent})`;
      // The refunded share of the credits (all of them for a full refund), less what was reclaimed.
      const owed = sql`(select ceil(b.delta::numeric * ${refunded} / ${amount})::int - ${reclaimed} from ${bought} b)`;
      const result = await bookCredits(db, {
        before: recordEvent(event),
        when: sql`exists (select 1 from ev) and ${owed} > 0`,
        userId: sql`(select user_id from ${bought} b)`,
        delta: sql`-${owed}`,
        clampAtZero: true,
        reason: "stripe_refund",
        // One booking per cumulative refunded amount: each further partial refund is a new state.
        reference: `${chargeId}:${refunded}`,
        externalRef: paymentIntent,
        also: sql`exists (select 1 from ev) as fresh`,
      });
      return afterBooking(db, event, result, "refunded", logger);
    }
    default:
      return (await recordOnly(db, event)) ? "ignored" : "duplicate";
  }
}

async function afterBooking(
  db: Db,
  event: StripeEvent,
  result: BookingResult,
  booked: WebhookOutcome,
  logger: Logger,
): Promise<WebhookOutcome> {
  if (result.status === "booked") {
    if (result.entry?.uncollected) {
      logger.warn("stripe refund could not take back every credit", {
        event_id: event.id,
        uncollected: result.entry.uncollected,
      });
    }
    return booked;
  }
  // A concurrent booking of the same session won and this statement rolled back (event id too).
  if (!("fresh" in result.row)) {
    await recordOnly(db, event);
    return "duplicate";
  }
  // A replayed event id, or a new event for a session (or refund state) already booked.
  if (result.row.fresh !== true || result.status === "duplicate") return "duplicate";
  if (result.status === "no_user") {
    logger.warn("stripe event for an unknown user or payment", { event_id: event.id, type: event.type });
  }
  return "ignored";
}
