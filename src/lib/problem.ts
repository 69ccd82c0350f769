/**
 * RFC 9457 problem details: the one place that writes error bodies.
 */
import { z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { ConfigError } from "../env.ts";
import { ApiError, type FieldError, STATUS_TITLES } from "./errors.ts";
import { int32 } from "./fields.ts";
import type { AppBindings } from "./types.ts";

export const PROBLEM_CONTENT_TYPE = "application/problem+json";

/**
 * Bounds of a problem body. Field paths and validation messages can echo what the client sent (an
 * unknown key's name), and a body can break a schema in thousands of places, so problemResponse
 * keeps the first MAX_FIELD_ERRORS and cuts long strings: an error answer never grows with the input.
 */
export const PROBLEM_LIMITS = {
  detail: 1024,
  fieldPath: 256,
  fieldMessage: 512,
  fieldErrors: 100,
} as const;

/** `code`: stable snake_case. */
const CODE_PATTERN = /^[a-z][a-z0-9_]*$/;

export const FieldErrorSchema = z
  .object({
    path: z.string().max(PROBLEM_LIMITS.fieldPath).openapi({ example: "password" }),
    message: z
      .string()
      .max(PROBLEM_LIMITS.fieldMessage)
      .openapi({ example: "Too small: expected string to have >=8 characters" }),
  })
  .strict()
  .openapi("FieldError");

export const ProblemSchema = z
  .object({
    type: z
      .string()
      .max(128)
      .regex(/^urn:edge-auth-api:problem:[a-z][a-z0-9_]*$/)
      .openapi({ example: "urn:edge-auth-api:problem:validation_failed" }),
    title: z.string().max(64).openapi({ example: "Unprocessable Content" }),
    status: int32(100, 599).openapi({ example: 422 }),
    detail: z
      .string()
      .max(PROBLEM_LIMITS.detail)
      .openapi({ example: "The request body does not match the schema." }),
    code: z
      .string()
      .max(64)
      .regex(CODE_PATTERN)
      .openapi({ example: "validation_failed", description: "Stable machine-readable code." }),
    request_id: z
      .string()
      .max(128)
      .regex(/^[A-Za-z0-9._:-]{1,128}$/)
      .openapi({ example: "0b6c2a8e-8a53-4d6e-9a7c-2f0b1f4d6a11", description: "Also in `X-Request-Id`." }),
    errors: z
      .array(FieldErrorSchema)
      .max(PROBLEM_LIMITS.fieldErrors)
      .optional()
      .openapi({ description: `Validation failures (the first ${PROBLEM_LIMITS.fieldErrors}).` }),
  })
  .strict()
  .openapi("Problem", { description: "RFC 9457 problem details." });

export type Problem = z.infer<typeof ProblemSchema>;

/** The 402 `insufficient_credits` problem: a Problem plus what the caller has and what it costs. */
export const InsufficientCreditsProblemSchema = ProblemSchema.extend({
  balance: int32(0).optional().openapi({ description: "The caller's balance.", example: 2 }),
  price: int32(0).optional().openapi({ description: "What the request costs.", example: 5 }),
})
  .strict()
  .openapi("InsufficientCreditsProblem", {
    description: "RFC 9457 problem details with `balance` and `price`.",
  });

const problemType = (code: string) => `urn:edge-auth-api:problem:${code}`;

/** Maps anything thrown to an ApiError, so every error path answers with the same shape. */
export function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  if (err instanceof ConfigError) {
    // Names the variables and what is wrong with them; ConfigError never carries values.
    return new ApiError(500, "configuration_error", {
      detail: `The service is misconfigured: ${err.problems.join("; ")}.`,
    });
  }
  if (err instanceof HTTPException) {
    const message = err.message || "";
    if (err.status === 415 || /content-type/i.test(message)) {
      return new ApiError(400, "invalid_content_type", {
        detail: "The request's Content-Type is not one this endpoint accepts (send application/json).",
      });
    }
    if (err.status === 400 && /malformed json/i.test(message)) {
      return new ApiError(400, "malformed_json", { detail: "The request body is not valid JSON." });
    }
    if (err.status === 413) return payloadTooLarge();
    const status = err.status as ContentfulStatusCode;
    return new ApiError(status, status >= 500 ? "internal_error" : "bad_request", {
      detail: status >= 500 ? "An unexpected error occurred." : message || STATUS_TITLES[status],
    });
  }
  return new ApiError(500, "internal_error", { detail: "An unexpected error occurred.", cause: err });
}

export const payloadTooLarge = () =>
  new ApiError(413, "payload_too_large", { detail: "The request body exceeds the size limit." });

function boundedFieldErrors(errors: FieldError[]): FieldError[] {
  return errors.slice(0, PROBLEM_LIMITS.fieldErrors).map((e) => ({
    path: e.path.slice(0, PROBLEM_LIMITS.fieldPath),
    message: e.message.slice(0, PROBLEM_LIMITS.fieldMessage),
  }));
}

/** Builds the problem response for `err`, carrying the request id and the error's headers. */
export function problemResponse(c: Context<AppBindings>, err: ApiError): Response {
  const body: Problem & Record<string, unknown> = {
    ...err.extensions,
    type: problemType(err.code),
    title: STATUS_TITLES[err.status] ?? "Error",
    status: err.status,
    detail: err.detail.slice(0, PROBLEM_LIMITS.detail),
    code: err.code,
    request_id: c.get("requestId") ?? "",
    ...(err.errors ? { errors: boundedFieldErrors(err.errors) } : {}),
  };
  const headers = new Headers(err.headers);
  headers.set("Content-Type", PROBLEM_CONTENT_TYPE);
  return new Response(JSON.stringify(body), { status: err.status, headers });
}
