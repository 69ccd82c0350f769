/**
 * Shared OpenAPI pieces: problem responses registered once as components, security schemes, and the
 * helpers routes use to reference them.
 */
import type { OpenAPIHono } from "@hono/zod-openapi";
import { InsufficientCreditsProblemSchema, PROBLEM_CONTENT_TYPE, ProblemSchema } from "./problem.ts";
import type { AppBindings } from "./types.ts";

const problemResponses = {
  BadRequest: "Malformed JSON, a wrong Content-Type or an otherwise unreadable request.",
  Unauthorized: "Missing, invalid or expired credentials, or a revoked session.",
  Forbidden: "Authenticated, but not allowed to do this.",
  NotFound: "No such resource (or none the caller may see).",
  Conflict: "The request conflicts with the current state.",
  PayloadTooLarge: "The request body exceeds the size limit.",
  UnsupportedMediaType:
    "`unsupported_media_type`: the request (or the uploaded file, judged by its content) is not of a type this endpoint accepts.",
  UnprocessableContent:
    "The body parses but does not match the schema; see `errors`. A string in the body, query or headers that holds U+0000 (NUL) or an unpaired surrogate never matches.",
  TooManyRequests: "Rate limit exceeded; see `Retry-After`.",
  InternalError: "An unexpected error; the body carries the request id, never internals.",
  BadGateway: "`payment_provider_error`: the payment provider failed or could not be reached.",
  ServiceUnavailable:
    "`rate_limiter_unavailable`: neither Redis nor the database could count this request; see `Retry-After`.",
  NotConfigured:
    "`billing_not_configured`: this deployment has no payment provider configured (STRIPE_SECRET_KEY).",
} as const;

/** Shared problem responses whose body is not the plain Problem schema. */
const problemSchemaOf: Partial<Record<keyof typeof problemResponses | "PaymentRequired", string>> = {
  PaymentRequired: "InsufficientCreditsProblem",
};

export type ProblemResponseName = keyof typeof problemResponses | "PaymentRequired";

const STATUS_OF: Record<ProblemResponseName, number> = {
  BadRequest: 400,
  Unauthorized: 401,
  PaymentRequired: 402,
  Forbidden: 403,
  NotFound: 404,
  Conflict: 409,
  PayloadTooLarge: 413,
  UnsupportedMediaType: 415,
  UnprocessableContent: 422,
  TooManyRequests: 429,
  InternalError: 500,
  BadGateway: 502,
  ServiceUnavailable: 503,
  NotConfigured: 503,
};

/** A `$ref` to a shared problem response, keyed by its status, for spreading into `responses`. */
export function problems(...names: ProblemResponseName[]) {
  return Object.fromEntries(
    names.map((name) => [String(STATUS_OF[name]), { $ref: `#/components/responses/${name}` }]),
  ) as Record<string, { $ref: string }>;
}

/** Problems every route can answer with (no route is exempt from 429 or 500). */
export const COMMON_PROBLEMS: ProblemResponseName[] = ["TooManyRequests", "InternalError"];

/** Problems of every route that takes a JSON body. */
export const BODY_PROBLEMS: ProblemResponseName[] = ["BadRequest", "PayloadTooLarge", "UnprocessableContent"];

/**
 * `content` for a JSON body or response: `{ description, content: jsonContent(UserSchema) }`; an
 * `example` here wins over the schema's own (for an answer that is one particular case of it).
 */
export const jsonContent = <T>(schema: T, example?: unknown) => ({
  "application/json": example === undefined ? { schema } : { schema, example },
});

export const BEARER_SECURITY: Record<string, string[]>[] = [{ bearerAuth: [] }, { oauth2Password: [] }];

/** Registers the shared components on the app's registry (once, in app.ts). */
export function registerOpenApiComponents(app: OpenAPIHono<AppBindings>): void {
  app.openAPIRegistry.register("Problem", ProblemSchema);
  app.openAPIRegistry.register("InsufficientCreditsProblem", InsufficientCreditsProblemSchema);
  const responses: Record<ProblemResponseName, string> = {
    ...problemResponses,
    PaymentRequired:
      "`insufficient_credits`: the balance does not cover the price; `balance` and `price` say by how much.",
  };
  for (const [name, description] of Object.entries(responses)) {
    const schema = problemSchemaOf[name as ProblemResponseName] ?? "Problem";
    app.openAPIRegistry.registerComponent("responses", name, {
      description,
      content: { [PROBLEM_CONTENT_TYPE]: { schema: { $ref: `#/components/schemas/${schema}` } } },
    });
  }
  const jwtPractice =
    "A signed JWT (JWS) handled as RFC8725 (JWT Best Current Practices) asks: algorithms from an allow-list " +
    "(HS256, or EdDSA/ES256 with JWT_PRIVATE_KEY; never `none`), the key chosen by `kid`, and `iss`, `aud`, " +
    "`exp` always verified. Short-lived (ACCESS_TOKEN_TTL_SECONDS, 1 hour by default); renew it with the " +
    "refresh token at POST /api/v1/auth/refresh.";
  app.openAPIRegistry.registerComponent("securitySchemes", "bearerAuth", {
    type: "http",
    scheme: "bearer",
    bearerFormat: "JWT",
    description: `Access token from POST /api/v1/auth/login. ${jwtPractice}`,
  });
  app.openAPIRegistry.registerComponent("securitySchemes", "metricsToken", {
    type: "http",
    scheme: "bearer",
    description: "METRICS_TOKEN, when the deployment sets one (GET /metrics only).",
  });
  app.openAPIRegistry.registerComponent("securitySchemes", "oauth2Password", {
    type: "oauth2",
    description:
      "OAuth2 password flow (form-encoded), so Swagger UI's Authorize button can log in. The access token " +
      `it returns is the bearer token above. ${jwtPractice} The refresh URL takes JSON \`{refresh_token}\`.`,
    flows: {
      password: { tokenUrl: "/api/v1/auth/login", refreshUrl: "/api/v1/auth/refresh", scopes: {} },
    },
  });
  app.openAPIRegistry.registerComponent("securitySchemes", "stripeSignature", {
    type: "apiKey",
    in: "header",
    name: "Stripe-Signature",
    description:
      "Stripe's signature of the webhook body with STRIPE_WEBHOOK_SECRET (POST /api/v1/billing/webhook only).",
  });
}

const INT32_MAX = 2_147_483_647;
const HEADER_COMPONENTS = {
  "X-Request-Id": {
    description: "The request's id (echoed when the client sent a sane one).",
    required: true,
    schema: { type: "string", maxLength: 128, pattern: "^[A-Za-z0-9._:-]{1,128}$" },
  },
  "RateLimit-Limit": {
    description: "Requests allowed in the current window of the most restrictive limit met.",
    required: true,
    schema: { type: "integer", format: "int32", minimum: 0, maximum: INT32_MAX },
  },
  "RateLimit-Remaining": {
    description: "Requests left in that window.",
    required: true,
    schema: { type: "integer", format: "int32", minimum: 0, maximum: INT32_MAX },
  },
  "RateLimit-Reset": {
    description: "Seconds until that window frees up.",
    required: true,
    schema: { type: "integer", format: "int32", minimum: 0, maximum: INT32_MAX },
  },
  "Retry-After": {
    description: "Seconds to wait before retrying.",
    required: true,
    schema: { type: "integer", format: "int32", minimum: 1, maximum: INT32_MAX },
  },
  "Access-Control-Allow-Origin": {
    description:
      "CORS: the request's `Origin` when CORS_ORIGINS allows it (every origin with `*`); absent otherwise, and by default (CORS_ORIGINS empty).",
    required: false,
    schema: { type: "string" },
  },
} as const;

type Doc = {
  paths?: Record<string, Record<string, { responses?: Record<string, Record<string, unknown>> }>>;
  components?: Record<string, Record<string, unknown>>;
};

/**
 * Documents the headers every answer carries (X-Request-Id, Access-Control-Allow-Origin when CORS
 * allows the caller and, on rate-limited routes, which is every route, the RateLimit-* trio;
 * Retry-After on 429 and 503) on every response, shared or inline.
 */
export function addStandardHeaders<T extends object>(document: T): T {
  const doc = document as Doc;
  doc.components ??= {};
  doc.components.headers = { ...(doc.components.headers ?? {}), ...HEADER_COMPONENTS };
  const ref = (name: keyof typeof HEADER_COMPONENTS) => ({ $ref: `#/components/headers/${name}` });
  const standard = {
    "X-Request-Id": ref("X-Request-Id"),
    "RateLimit-Limit": ref("RateLimit-Limit"),
    "RateLimit-Remaining": ref("RateLimit-Remaining"),
    "RateLimit-Reset": ref("RateLimit-Reset"),
    "Access-Control-Allow-Origin": ref("Access-Control-Allow-Origin"),
  };
  const decorate = (response: Record<string, unknown>, extra: Record<string, unknown> = {}) => {
    if ("$ref" in response) return;
    response.headers = { ...((response.headers as object) ?? {}), ...standard, ...extra };
  };
  for (const [name, response] of Object.entries(doc.components.responses ?? {})) {
    decorate(
      response as Record<string, unknown>,
      name === "TooManyRequests" || name === "ServiceUnavailable"
        ? { "Retry-After": ref("Retry-After") }
        : {},
    );
  }
  for (const item of Object.values(doc.paths ?? {})) {
    for (const op of Object.values(item))
      for (const response of Object.values(op.responses ?? {})) decorate(response);
  }
  return document;
}

/** Methods whose requests may carry a body, which the body limit applies to on every route. */
const BODY_METHODS = new Set(["post", "put", "patch", "delete"]);

/**
 * Declares 413 on every operation whose method may carry a body: the body limit (middleware/
 * body-limit.ts) runs before routing, so a route that declares no body still answers 413 to one
 * over the limit.
 */
export function addBodyLimitProblems<T>(document: T): T {
  const doc = document as Doc;
  for (const item of Object.values(doc.paths ?? {}))
    for (const [method, op] of Object.entries(item))
      if (BODY_METHODS.has(method)) op.responses = { ...problems("PayloadTooLarge"), ...op.responses };
  return document;
}
