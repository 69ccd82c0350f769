import { describe, expect, it } from "vitest";
import { Contract, templatePattern } from "../../helpers/contract.ts";
import { api, envWith } from "../../helpers/harness.ts";

type Json = Record<string, any>;

/** Every object schema reachable from `schema` (through properties, items, unions), with its path. */
function objectSchemas(schema: Json, path: string, doc: Json, seen = new Set<string>()): [string, Json][] {
  if (!schema || typeof schema !== "object") return [];
  if (typeof schema.$ref === "string") {
    const name = schema.$ref.split("/").pop() as string;
    if (seen.has(name)) return [];
    seen.add(name);
    return objectSchemas(doc.components.schemas[name], name, doc, seen);
  }
  const found: [string, Json][] = [];
  if (schema.type === "object" || schema.properties) found.push([path, schema]);
  for (const [key, sub] of Object.entries((schema.properties ?? {}) as Json))
    found.push(...objectSchemas(sub, `${path}.${key}`, doc, seen));
  if (schema.items) found.push(...objectSchemas(schema.items, `${path}[]`, doc, seen));
  for (const list of ["anyOf", "oneOf", "allOf"])
    for (const sub of (schema[list] ?? []) as Json[]) found.push(...objectSchemas(sub, path, doc, seen));
  return found;
}

describe("the served OpenAPI document", () => {
  it("closes every response object schema, so no extra field (a hash, a token) can leak unnoticed", async () => {
    const doc = (await api("GET", "/api/openapi.json")).body as Json;
    const open: string[] = [];
    const responses = [
      ...Object.values(doc.components.responses as Json),
      ...Object.values(doc.paths as Json).flatMap((ops: Json) =>
        Object.values(ops).flatMap((op: Json) => Object.values(op.responses ?? {})),
      ),
    ] as Json[];
    for (const response of responses) {
      for (const media of Object.values((response.content ?? {}) as Json) as Json[]) {
        for (const [where, schema] of objectSchemas(media.schema, "response", doc)) {
          if (schema.additionalProperties !== false) open.push(where);
        }
      }
    }
    expect([...new Set(open)]).toEqual([]);
  });

  it("declares X-Request-Id and the RateLimit-* headers as required on every response", async () => {
    const doc = (await api("GET", "/api/openapi.json")).body as Json;
    for (const name of ["X-Request-Id", "RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset"]) {
      expect(doc.components.headers[name].required, name).toBe(true);
    }
  });
});

describe("the contract checker", () => {
  const doc = {
    paths: {
      "/a.b/{id}": {
        get: {
          responses: {
            "200": {
              description: "ok",
              headers: {
                "X-Request-Id": { $ref: "#/components/headers/X-Request-Id" },
                "RateLimit-Limit": { $ref: "#/components/headers/RateLimit-Limit" },
              },
              content: {
                "application/json": {
                  schema: {
                    type: "object",
                    properties: { a: { type: "string" } },
                    additionalProperties: false,
                  },
                },
              },
            },
          },
        },
      },
    },
    components: {
      schemas: {},
      responses: {},
      headers: {
        "X-Request-Id": { required: true, schema: { type: "string" } },
        "RateLimit-Limit": { required: true, schema: { type: "integer" } },
      },
    },
  };
  const contract = new Contract(doc as never);
  const headers = (h: Record<string, string>) => new Headers({ "Content-Type": "application/json", ...h });

  it("escapes the literal parts of path templates", () => {
    expect(templatePattern("/a.b/{id}").test("/a.b/42")).toBe(true);
    expect(templatePattern("/a.b/{id}").test("/aXb/42")).toBe(false);
    expect(templatePattern("/a.b/{id}").test("/a.b/42/more")).toBe(false);
  });

  it("flags a missing X-Request-Id, a missing or non-integer RateLimit header, and an extra body field", () => {
    const ok = headers({ "X-Request-Id": "abc", "RateLimit-Limit": "5" });
    expect(contract.check("GET", "/a.b/1", 200, ok, { a: "x" }, { rateLimited: true })).toEqual([]);
    expect(
      contract.check(
        "GET",
        "/a.b/1",
        200,
        headers({ "RateLimit-Limit": "5" }),
        { a: "x" },
        { rateLimited: true },
      ),
    ).toEqual([
      expect.stringContaining("X-Request-Id missing"),
      expect.stringContaining("required header X-Request-Id is missing"),
    ]);
    expect(
      contract.check(
        "GET",
        "/a.b/1",
        200,
        headers({ "X-Request-Id": "abc" }),
        { a: "x" },
        { rateLimited: true },
      ),
    ).toEqual([expect.stringContaining("RateLimit-Limit is missing")]);
    expect(
      contract.check(
        "GET",
        "/a.b/1",
        200,
        headers({ "X-Request-Id": "abc" }),
        { a: "x" },
        { rateLimited: false },
      ),
    ).toEqual([]);
    expect(
      contract.check(
        "GET",
        "/a.b/1",
        200,
        headers({ "X-Request-Id": "abc", "RateLimit-Limit": "five" }),
        { a: "x" },
        { rateLimited: true },
      ),
    ).toEqual([expect.stringContaining("not an integer")]);
    expect(
      contract.check("GET", "/a.b/1", 200, ok, { a: "x", password_hash: "h" }, { rateLimited: true }),
    ).not.toEqual([]);
  });

  it("runs with the limiter on in real requests: the RateLimit-* headers are checked there", async () => {
    const res = await api("GET", "/api/v1/auth/jwks.json", {
      env: envWith({ RATE_LIMIT_ENABLED: "true" }),
      headers: { "CF-Connecting-IP": "203.0.113.77" },
    });
    expect(res.status, res.dump).toBe(200);
    expect(res.headers.get("RateLimit-Limit")).toMatch(/^\d+$/);
  });
});
