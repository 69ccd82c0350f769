import { z } from "@hono/zod-openapi";
import { creditReasons } from "../../db/schema/billing.ts";
import { int32, int64, Timestamp } from "../../lib/fields.ts";
import { pageOf } from "../../lib/pagination.ts";

export const LedgerEntrySchema = z
  .object({
    id: int64(1).openapi({ description: "Grows with every booking; newest first in lists." }),
    delta: int32().openapi({ description: "Credits added (negative: taken)." }),
    balance_after: int32(0),
    reason: z.enum(creditReasons),
    reference: z
      .string()
      .max(255)
      .regex(/^[A-Za-z0-9_:-]+$/)
      .openapi({
        description:
          "What was booked: a Stripe Checkout Session or charge (with the refunded amount), a task, or an admin booking's own id.",
      }),
    created_at: Timestamp,
  })
  .strict()
  .openapi("LedgerEntry");

const LEDGER_ENTRY_EXAMPLE = {
  id: 42,
  delta: 100,
  balance_after: 100,
  reason: "stripe_checkout",
  reference: "cs_test_a1b2c3",
  created_at: "2025-01-15T09:30:00.000Z",
} as const;

export const CreditsSchema = z
  .object({
    balance: int32(0),
    ledger: pageOf(LedgerEntrySchema, "LedgerPage", LEDGER_ENTRY_EXAMPLE),
  })
  .strict()
  .openapi("Credits", {
    example: {
      balance: 100,
      ledger: { items: [LEDGER_ENTRY_EXAMPLE], total: 1, skip: 0, limit: 10 },
    },
  });

export const CreditChangeBody = z
  .object({
    delta: int32(-1_000_000_000, 1_000_000_000)
      .refine((d) => d !== 0, "must not be 0")
      .openapi({ description: "Credits to grant (> 0) or deduct (< 0).", example: 100 }),
    reason: z
      .string()
      .trim()
      .min(1)
      .max(500)
      .openapi({ description: "Why (kept in the ledger row with the admin's id).", example: "goodwill" }),
  })
  .strict()
  .openapi("CreditChangeRequest", { example: { delta: 100, reason: "goodwill" } });

export const CreditChangeSchema = z
  .object({ balance: int32(0), entry: LedgerEntrySchema })
  .strict()
  .openapi("CreditChange", {
    example: {
      balance: 100,
      entry: {
        ...LEDGER_ENTRY_EXAMPLE,
        reason: "admin_grant",
        reference: "9b2f4c1d-7e8a-4b3c-9d0e-1f2a3b4c5d6e",
      },
    },
  });
