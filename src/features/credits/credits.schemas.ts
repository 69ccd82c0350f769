import { z } from "@hono/zod-openapi";
import { creditReasons } from "../../db/schema/billing.ts";
import { pageOf } from "../../lib/pagination.ts";

export const LedgerEntrySchema = z
  .object({
    id: z.number().int().openapi({ description: "Grows with every booking; newest first in lists." }),
    delta: z.number().int().openapi({ description: "Credits added (negative: taken)." }),
    balance_after: z.number().int().min(0),
    reason: z.enum(creditReasons),
    reference: z.string().openapi({ description: "What was booked: a Checkout Session, a task, a refund." }),
    created_at: z.iso.datetime(),
  })
  .strict()
  .openapi("LedgerEntry");

export const CreditsSchema = z
  .object({
    balance: z.number().int().min(0),
    ledger: pageOf(LedgerEntrySchema, "LedgerPage"),
  })
  .strict()
  .openapi("Credits");

export const CreditChangeBody = z
  .object({
    delta: z
      .number()
      .int()
      .min(-1_000_000_000)
      .max(1_000_000_000)
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
  .object({ balance: z.number().int().min(0), entry: LedgerEntrySchema })
  .strict()
  .openapi("CreditChange");
