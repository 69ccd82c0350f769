import { createRoute, z } from "@hono/zod-openapi";
import { Timestamp, Uuid } from "../../lib/fields.ts";
import { BODY_PROBLEMS, COMMON_PROBLEMS, jsonContent, problems } from "../../lib/openapi.ts";
import { PaginationQuery, pageOf, QueryBoolean } from "../../lib/pagination.ts";
import { protectedRoute } from "../../lib/protected-route.ts";
import { rateLimitByIp } from "../../middleware/rate-limit.ts";
import { Email } from "../users/users.schemas.ts";

const Source = z
  .string()
  .trim()
  .min(1)
  .max(100)
  .openapi({ example: "landing-page", description: "Where the visitor came from (free text)." });

export const PreRegisterBody = z
  .object({ email: Email, source: Source.optional() })
  .strict()
  .openapi("PreRegisterRequest", { example: { email: "jane@example.com", source: "landing-page" } });

/** The one answer, whether the address was new or not (so it tells nobody who is on the list). */
export const PRE_REGISTER_ACCEPTED = {
  status: "accepted",
  detail: "Thank you. We will write to this address when sign-up opens.",
} as const;

export const PreRegisterAcceptedSchema = z
  .object({ status: z.literal("accepted"), detail: z.literal(PRE_REGISTER_ACCEPTED.detail) })
  .strict()
  .openapi("PreRegisterAccepted", { example: PRE_REGISTER_ACCEPTED });

export const preRegister = createRoute({
  method: "post",
  path: "/api/v1/pre-register",
  operationId: "preRegister",
  tags: ["Pre-registration"],
  summary: "Join the waiting list",
  description:
    "Idempotent: the same 202 whether the address is new, already listed (case-insensitively) or already has an account. Rate limited per IP like registration.",
  security: [],
  middleware: [rateLimitByIp((r) => r.register)] as const,
  request: { body: { required: true, content: jsonContent(PreRegisterBody) } },
  responses: {
    202: { description: "Accepted.", content: jsonContent(PreRegisterAcceptedSchema) },
    ...problems(...BODY_PROBLEMS, ...COMMON_PROBLEMS, "ServiceUnavailable"),
  },
});
export type PreRegisterRoute = typeof preRegister;

export const PreRegistrationSchema = z
  .object({
    id: Uuid,
    email: Email,
    source: z.string().max(100).nullable(),
    created_at: Timestamp,
    converted_at: Timestamp.nullable().openapi({
      description: "When an account with this address was registered.",
    }),
  })
  .strict()
  .openapi("PreRegistration");

const PRE_REGISTRATION_EXAMPLE = {
  id: "8c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f",
  email: "jane@example.com",
  source: "landing-page",
  created_at: "2025-01-15T09:30:00.000Z",
  converted_at: null,
};

export const ListPreRegistrationsQuery = PaginationQuery.extend({
  q: z
    .string()
    .trim()
    .min(1)
    .max(100)
    .optional()
    .openapi({ param: { name: "q", in: "query" }, description: "Case-insensitive substring of the e-mail." }),
  source: z
    .string()
    .min(1)
    .max(100)
    .optional()
    .openapi({ param: { name: "source", in: "query" }, description: "Exact source." }),
  converted: QueryBoolean.optional().openapi({ param: { name: "converted", in: "query" } }),
});

export const listPreRegistrations = protectedRoute(
  { session: "in-statement", roles: ["admin"] },
  {
    method: "get",
    path: "/api/v1/pre-register",
    operationId: "listPreRegistrations",
    tags: ["Pre-registration"],
    summary: "List the waiting list (newest first)",
    request: { query: ListPreRegistrationsQuery },
    responses: {
      200: {
        description: "A page of pre-registrations.",
        content: jsonContent(pageOf(PreRegistrationSchema, "PreRegistrationPage", PRE_REGISTRATION_EXAMPLE)),
      },
      ...problems("UnprocessableContent", ...COMMON_PROBLEMS),
    },
  },
);
export type ListPreRegistrationsRoute = typeof listPreRegistrations;
