/**
 * Stripe over plain `fetch`: form-encoded POSTs with an Idempotency-Key, and webhook signature
 * verification as Stripe specifies it. No SDK: see docs/decisions.md "Credits and payments".
 */
import { ApiError } from "../lib/errors.ts";

export const STRIPE_API = "https://api.stripe.com";
/** Pinned so a change of the account's default API version cannot change what we parse. */
export const STRIPE_API_VERSION = "2026-10-28.endive";
const TIMEOUT_MS = 10_000;

/** 502 `payment_provider_error`: Stripe answered with an error, or could not be reached. */
export const paymentProviderError = (detail = "The payment provider failed; try again later.") =>
  new ApiError(502, "payment_provider_error", { detail });

/**
 * POSTs a form to Stripe's API and returns the JSON answer; any failure (network, timeout, a 4xx or
 * 5xx from Stripe, a body that is not JSON) is a 502 `payment_provider_error`, never a 500.
 *
 * @example
 * const customer = await stripePost(key, "/v1/customers", { email }, `customer-${userId}`);
 */
export async function stripePost<T = Record<string, unknown>>(
  secretKey: string,
  path: string,
  form: Record<string, string>,
  idempotencyKey: string,
): Promise<T> {
  let res: Response;
  try {
    res = await fetch(`${STRIPE_API}${path}`, {
      method: "POST",
      headers: {
        Authorization: `Bearer ${secretKey}`,
        "Content-Type": "application/x-www-form-urlencoded",
        "Idempotency-Key": idempotencyKey,
        "Stripe-Version": STRIPE_API_VERSION,
      },
      body: new URLSearchParams(form).toString(),
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
  } catch (err) {
    throw new ApiError(502, "payment_provider_error", {
      detail: "The payment provider could not be reached; try again later.",
      cause: err,
    });
  }
  const text = await res.text().catch(() => "");
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  if (!res.ok || typeof body !== "object" || body === null) {
    throw new ApiError(502, "payment_provider_error", {
      detail: "The payment provider refused or failed the request; try again later.",
      // Kept for the error log (status and Stripe's error type), never shown to the client.
      cause: new Error(`stripe ${path} answered ${res.status}: ${text.slice(0, 300)}`),
    });
  }
  return body as T;
}

const encoder = new TextEncoder();

function hexToBytes(hex: string): Uint8Array<ArrayBuffer> | undefined {
  if (hex.length !== 64 || !/^[0-9a-f]+$/i.test(hex)) return undefined;
  const out = new Uint8Array(32);
  for (let i = 0; i < 32; i++) out[i] = Number.parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return out;
}

/** Seconds of clock difference a signed webhook may have (Stripe's own default). */
export const WEBHOOK_TOLERANCE_SECONDS = 300;

/** The webhook secret imported as an HMAC key, once per secret (per isolate). */
const webhookKeys = new Map<string, Promise<CryptoKey>>();
function webhookKey(secret: string): Promise<CryptoKey> {
  let key = webhookKeys.get(secret);
  if (!key) {
    key = crypto.subtle.importKey("raw", encoder.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, [
      "verify",
    ]);
    webhookKeys.set(secret, key);
  }
  return key;
}

/**
 * Verifies a `Stripe-Signature` header over the raw body, as Stripe specifies: the header is
 * `t=<unix seconds>,v1=<hex>[,v1=<hex>...]` (other schemes ignored); the signed payload is
 * `${t}.${rawBody}`, HMAC-SHA256 with the endpoint's secret; any `v1` may match (several during a
 * secret roll); `t` must be within `tolerance` seconds of now. The comparison is
 * `crypto.subtle.verify`, which is constant-time.
 */
export async function verifyStripeSignature(
  header: string | undefined,
  rawBody: string,
  secret: string,
  nowSeconds = Math.floor(Date.now() / 1000),
  tolerance = WEBHOOK_TOLERANCE_SECONDS,
): Promise<boolean> {
  if (!header || header.length > 4096) return false;
  let timestamp: string | undefined;
  const signatures: Uint8Array<ArrayBuffer>[] = [];
  for (const part of header.split(",")) {
    const eq = part.indexOf("=");
    if (eq < 0) continue;
    const key = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (key === "t") timestamp = value;
    else if (key === "v1") {
      const bytes = hexToBytes(value);
      if (bytes) signatures.push(bytes);
    }
  }
  if (!timestamp || !/^\d{1,12}$/.test(timestamp) || signatures.length === 0) return false;
  if (Math.abs(nowSeconds - Number(timestamp)) > tolerance) return false;
  const key = await webhookKey(secret);
  const signed = encoder.encode(`${timestamp}.${rawBody}`);
  let valid = false;
  // Every candidate is checked (no early exit), so timing does not say which one matched.
  for (const signature of signatures) {
    if (await crypto.subtle.verify("HMAC", key, signature, signed)) valid = true;
  }
  return valid;
}
