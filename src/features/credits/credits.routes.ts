import { z } from "@hono/zod-openapi";
import { BODY_PROBLEMS, COMMON_PROBLEMS, jsonContent, problems } from "../../lib/openapi.ts";
import { PaginationQuery } from "../../lib/pagination.ts";
import { protectedRoute } from "../../lib/protected-route.ts";
import { CreditChangeBody, CreditChangeSchema, CreditsSchema } from "./credits.schemas.ts";

export const getMyCredits = protectedRoute(
  { session: "in-statement" },
  {
    method: "get",
    path: "/api/v1/users/me/credits",
    operationId: "getMyCredits",
    tags: ["Credits"],
    summary: "The caller's credit balance and ledger (newest first)",
    description:
      "Credits are bought with POST /api/v1/billing/checkout, granted by admins and spent on priced tasks (TASK_COST_*).",
    request: { query: PaginationQuery },
    responses: {
      200: { description: "Balance and a page of the ledger.", content: jsonContent(CreditsSchema) },
      ...problems("UnprocessableContent", ...COMMON_PROBLEMS),
    },
  },
);
export type GetMyCreditsRoute = typeof getMyCredits;

export const changeUserCredits = protectedRoute(
  { session: "in-statement", roles: ["admin"] },
  {
    method: "post",
    path: "/api/v1/users/{id}/credits",
    operationId: "changeUserCredits",
    tags: ["Credits"],
    summary: "Grant or deduct a user's credits",
    description:
      "Books `admin_grant` (delta > 0) or `admin_deduct` (delta < 0) in the ledger, with the admin as the actor " +
      "and `reason` as the note. A deduction larger than the balance is 409 `insufficient_credits` " +
      "(nothing changes: balances never go negative).",
    request: {
      params: z.object({
        // Documented format, not validated: any other string is a 404 like an unknown user.
        id: z
          .string()
          .max(64)
          .openapi({
            param: { name: "id", in: "path" },
            format: "uuid",
            example: "0b6c2a8e-8a53-4d6e-9a7c-2f0b1f4d6a11",
          }),
      }),
      body: { required: true, content: jsonContent(CreditChangeBody) },
    },
    responses: {
      201: {
        description: "Booked: the new balance and ledger row.",
        content: jsonContent(CreditChangeSchema),
      },
      ...problems("NotFound", "Conflict", ...BODY_PROBLEMS, ...COMMON_PROBLEMS),
    },
  },
);
export type ChangeUserCreditsRoute = typeof changeUserCredits;
