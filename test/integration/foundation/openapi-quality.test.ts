/**
 * What every operation of the served OpenAPI document must carry, so that a route added later without
 * it fails here: an operationId, a summary, a declared tag, an explicit security requirement (`[]` for
 * public operations), a valid example of its request body and of each success body, 401 when it takes
 * a bearer token, 400/422 when it takes input, 429 and 500, the standard headers on every response,
 * and problem details (`application/problem+json`) for every error. The development document is
 * walked too: it is the one with every route.
 */
import { Validator } from "@cfworker/json-schema";
import { describe, expect, it } from "vitest";
import { rewriteRefs } from "../../helpers/contract.ts";
import { api, envWith } from "../../helpers/harness.ts";

type Json = Record<string, any>;

interface Operation {
  /** `GET /api/v1/users/me`, for messages. */
  name: string;
  op: Json;
}

const METHODS = ["get", "put", "post", "patch", "delete", "head", "options", "trace"];
const STANDARD_HEADERS = ["X-Request-Id", "RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset"];

/**
 * The one error answer that is not a problem: the health report, whose 503 is the same Health body
 * with `status: "unhealthy"` (the contract defines it so that monitors read one shape).
 */
const NON_PROBLEM_ERRORS = new Set(["GET /health 503", "GET /api/v1/health 503"]);

async function served(environment: "test" | "development"): Promise<Json> {
  const res = await api("GET", "/api/openapi.json", {
    ...(environment === "development" ? { env: envWith({ ENVIRONMENT: "development" }) } : {}),
  });
  expect(res.status, res.dump).toBe(200);
  return res.body as Json;
}

function operations(doc: Json): Operation[] {
  return Object.entries(doc.paths as Json).flatMap(([path, item]) =>
    Object.entries(item as Json)
      .filter(([method]) => METHODS.includes(method))
      .map(([method, op]) => ({ name: `${method.toUpperCase()} ${path}`, op: op as Json })),
  );
}

const resolve = (doc: Json, value: Json | undefined): Json | undefined => {
  const ref = value?.$ref;
  if (typeof ref !== "string") return value;
  const [, , kind, name] = ref.split("/");
  return doc.components[kind as string][name as string];
};

/** The example of a media type (its own, else its schema's) and whether it is valid. */
function exampleCheck(doc: Json, media: Json): { example: unknown; errors: string[] } {
  const example = media.example ?? resolve(doc, media.schema)?.example;
  if (example === undefined) return { example, errors: [] };
  const root = { ...rewriteRefs(media.schema), $defs: rewriteRefs(doc.components.schemas) };
  const result = new Validator(root as never, "2020-12", false).validate(example);
  return { example, errors: result.errors.map((e) => `${e.instanceLocation} ${e.error}`) };
}

/** Every shortcoming of `doc`, one line each (an empty list when it has none). */
function shortcomings(doc: Json): string[] {
  const found: string[] = [];
  const tags = new Set((doc.tags as Json[]).map((t) => t.name));
  const schemes = new Set(Object.keys(doc.components.securitySchemes));
  const ids = new Set<string>();

  for (const { name, op } of operations(doc)) {
    const miss = (what: string) => found.push(`${name}: ${what}`);

    if (!op.operationId) miss("no operationId");
    else if (ids.has(op.operationId)) miss(`operationId ${op.operationId} is not unique`);
    else ids.add(op.operationId);
    if (!op.summary?.trim()) miss("no summary");
    if (!Array.isArray(op.tags) || op.tags.length === 0) miss("no tag");
    for (const tag of op.tags ?? []) if (!tags.has(tag)) miss(`tag ${tag} is not declared`);

    if (!Array.isArray(op.security)) miss("no security requirement (public operations say `security: []`)");
    const requirements = (op.security ?? []) as Json[];
    for (const scheme of requirements.flatMap((r) => Object.keys(r)))
      if (!schemes.has(scheme)) miss(`security scheme ${scheme} is not declared`);
    const bearer = requirements.some((r) => "bearerAuth" in r || "metricsToken" in r);

    const responses = op.responses as Json;
    const statuses = Object.keys(responses);
    if (bearer && !statuses.includes("401")) miss("takes a bearer token but declares no 401");
    if ((op.parameters?.length || op.requestBody) && !statuses.some((s) => s === "400" || s === "422"))
      miss("takes input but declares neither 400 nor 422");
    for (const status of ["429", "500"]) if (!statuses.includes(status)) miss(`declares no ${status}`);

    for (const [type, media] of Object.entries((op.requestBody?.content ?? {}) as Json)) {
      const { example, errors } = exampleCheck(doc, media);
      if (example === undefined) miss(`request ${type} has no example`);
      for (const error of errors) miss(`request ${type} example is invalid: ${error}`);
    }

    for (const status of statuses) {
      const response = resolve(doc, responses[status]) as Json;
      const headers = Object.keys(response.headers ?? {});
      for (const header of STANDARD_HEADERS)
        if (!headers.includes(header)) miss(`${status} does not declare ${header}`);
      if (status === "429" && !headers.includes("Retry-After")) miss("429 does not declare Retry-After");
      const content = (response.content ?? {}) as Json;

      if (/^[45]/.test(status) && !NON_PROBLEM_ERRORS.has(`${name} ${status}`)) {
        const types = Object.keys(content);
        if (types.length !== 1 || types[0] !== "application/problem+json")
          miss(`${status} is ${types.join(", ") || "bodiless"}, not application/problem+json`);
      }
      if (/^2/.test(status)) {
        for (const [type, media] of Object.entries(content)) {
          // Images are bytes: nothing to show as an example.
          if (type.startsWith("image/")) continue;
          const { example, errors } = exampleCheck(doc, media as Json);
          if (example === undefined) miss(`${status} ${type} has no example`);
          for (const error of errors) miss(`${status} ${type} example is invalid: ${error}`);
        }
      }
    }
  }
  return found;
}

describe("every operation of the served OpenAPI document", () => {
  it.each(["test", "development"] as const)(
    "(as %s serves it) has an operationId, summary, tag, security, valid examples, its 401/422/429/500 and problem errors",
    async (environment) => {
      const doc = await served(environment);
      expect(operations(doc).length).toBeGreaterThan(40);
      expect(shortcomings(doc)).toEqual([]);
    },
  );

  it("finds the shortcomings of an operation that has none of it", async () => {
    const doc = await served("test");
    doc.paths["/api/v1/new"] = {
      post: {
        requestBody: { content: { "application/json": { schema: { type: "object" } } } },
        responses: {
          "200": { description: "ok", content: { "application/json": { schema: { type: "string" } } } },
          "400": { description: "bad", content: { "application/json": { schema: { type: "object" } } } },
        },
      },
      get: {
        operationId: "getMe",
        summary: "A second getMe",
        tags: ["Nowhere"],
        security: [{ bearerAuth: [] }],
        responses: {
          "200": {
            description: "ok",
            content: { "application/json": { schema: { type: "integer" }, example: "not a number" } },
          },
        },
      },
    };
    expect(shortcomings(doc)).toEqual([
      "POST /api/v1/new: no operationId",
      "POST /api/v1/new: no summary",
      "POST /api/v1/new: no tag",
      "POST /api/v1/new: no security requirement (public operations say `security: []`)",
      "POST /api/v1/new: declares no 429",
      "POST /api/v1/new: declares no 500",
      "POST /api/v1/new: request application/json has no example",
      "POST /api/v1/new: 200 does not declare X-Request-Id",
      "POST /api/v1/new: 200 does not declare RateLimit-Limit",
      "POST /api/v1/new: 200 does not declare RateLimit-Remaining",
      "POST /api/v1/new: 200 does not declare RateLimit-Reset",
      "POST /api/v1/new: 200 application/json has no example",
      "POST /api/v1/new: 400 does not declare X-Request-Id",
      "POST /api/v1/new: 400 does not declare RateLimit-Limit",
      "POST /api/v1/new: 400 does not declare RateLimit-Remaining",
      "POST /api/v1/new: 400 does not declare RateLimit-Reset",
      "POST /api/v1/new: 400 is application/json, not application/problem+json",
      "GET /api/v1/new: operationId getMe is not unique",
      "GET /api/v1/new: tag Nowhere is not declared",
      "GET /api/v1/new: takes a bearer token but declares no 401",
      "GET /api/v1/new: declares no 429",
      "GET /api/v1/new: declares no 500",
      "GET /api/v1/new: 200 does not declare X-Request-Id",
      "GET /api/v1/new: 200 does not declare RateLimit-Limit",
      "GET /api/v1/new: 200 does not declare RateLimit-Remaining",
      "GET /api/v1/new: 200 does not declare RateLimit-Reset",
      expect.stringMatching(/^GET \/api\/v1\/new: 200 application\/json example is invalid: .*integer/),
    ]);
  });
});
