import { describe, expect, it } from "vitest";
import { STRONG_PASSWORD, unique } from "../../helpers/factories.ts";
import { type ApiResponse, api, envWith, testEnv } from "../../helpers/harness.ts";

// The sample route for body handling is registration: JSON body, required, validated.
const REGISTER = "/api/v1/auth/register";
const validBody = () => {
  const username = `rh_${unique()}`;
  return { username, email: `${username}@example.com`, password: STRONG_PASSWORD };
};

const expectProblem = (res: ApiResponse, status: number, code: string) => {
  expect(res.status, res.dump).toBe(status);
  expect(res.headers.get("Content-Type")).toBe("application/problem+json");
  expect(res.body).toMatchObject({ status, code, type: `urn:edge-auth-api:problem:${code}` });
  expect(typeof res.body.title).toBe("string");
  expect(typeof res.body.detail).toBe("string");
  expect(res.body.request_id).toBe(res.headers.get("X-Request-Id"));
};

describe("bad inputs get RFC 9457 problems with stable codes", () => {
  it("400 malformed_json for a body that is not JSON", async () => {
    const res = await api("POST", REGISTER, {
      body: '{"username": "x",',
      headers: { "Content-Type": "application/json" },
    });
    expectProblem(res, 400, "malformed_json");
  });

  it.each(["text/plain", "application/xml", "multipart/form-data; boundary=x"])(
    "400 invalid_content_type for %s",
    async (type) => {
      const res = await api("POST", REGISTER, {
        body: JSON.stringify(validBody()),
        headers: { "Content-Type": type },
      });
      expectProblem(res, 400, "invalid_content_type");
    },
  );

  it("400 invalid_content_type for a body without a Content-Type", async () => {
    const res = await api("POST", REGISTER, { body: new TextEncoder().encode(JSON.stringify(validBody())) });
    expectProblem(res, 400, "invalid_content_type");
  });

  it("413 payload_too_large for a body over MAX_BODY_BYTES, before it is parsed", async () => {
    const big = { ...validBody(), full_name: "x".repeat(1024 * 1024) };
    const res = await api("POST", REGISTER, { json: big });
    expectProblem(res, 413, "payload_too_large");
  });

  it("413 also when the limit is configured lower", async () => {
    const res = await api("POST", REGISTER, {
      json: { ...validBody(), full_name: "y".repeat(300) },
      env: envWith({ MAX_BODY_BYTES: "256" }),
    });
    expectProblem(res, 413, "payload_too_large");
  });

  it("422 validation_failed with errors[] for a body that breaks the schema", async () => {
    const res = await api("POST", REGISTER, { json: { username: 1, email: "nope" } });
    expectProblem(res, 422, "validation_failed");
    expect(res.body.errors).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ path: "username" }),
        expect.objectContaining({ path: "email" }),
        expect.objectContaining({ path: "password" }),
      ]),
    );
  });

  it("422 for a JSON body that is not an object", async () => {
    const res = await api("POST", REGISTER, { json: [1, 2, 3] });
    expectProblem(res, 422, "validation_failed");
  });

  it("404 not_found for an unknown route", async () => {
    const res = await api("GET", "/api/v1/nothing-here");
    expectProblem(res, 404, "not_found");
  });

  it("405 method_not_allowed with Allow for a known route and a wrong method", async () => {
    const res = await api("DELETE", "/health");
    expectProblem(res, 405, "method_not_allowed");
    expect(res.headers.get("Allow")).toBe("GET");
    const put = await api("PUT", REGISTER, { json: validBody() });
    expectProblem(put, 405, "method_not_allowed");
    expect(put.headers.get("Allow")).toBe("POST");
  });

  it("500 internal_error without internals when a dependency fails unexpectedly", async () => {
    const env = envWith({ DATABASE_URL: "postgres://postgres:postgres@127.0.0.1:9/auth_api" });
    const res = await api("POST", REGISTER, { json: validBody(), env });
    expectProblem(res, 500, "internal_error");
    expect(res.body.detail).toBe("An unexpected error occurred.");
    expect(res.text).not.toMatch(/at .*\.ts|stack|ECONNREFUSED|127\.0\.0\.1:9/);
  });
});

describe("configuration fails closed", () => {
  it("names what is missing or invalid, never a secret's value", async () => {
    const { DATABASE_URL: _omit, ...rest } = testEnv;
    const env = { ...rest, JWT_SECRET: "short-secret-value", LOG_LEVEL: "loud" } as typeof testEnv;
    const res = await api("GET", "/health", { env, unchecked: true });
    expect(res.status, res.dump).toBe(500);
    expect(res.body).toMatchObject({ code: "configuration_error" });
    expect(res.body.detail).toContain("DATABASE_URL");
    expect(res.body.detail).toContain("JWT_SECRET");
    expect(res.body.detail).toContain("LOG_LEVEL");
    expect(res.text).not.toContain("short-secret-value");
  });

  it("requires JWT_SECRET or JWT_PRIVATE_KEY", async () => {
    const { JWT_SECRET: _omit, ...rest } = testEnv;
    const res = await api("GET", "/", { env: rest as typeof testEnv, unchecked: true });
    expect(res.status).toBe(500);
    expect(res.body.detail).toContain("JWT_SECRET or JWT_PRIVATE_KEY is required");
  });

  it.each(["production", "staging"])("refuses the local database gateway in %s", async (environment) => {
    const res = await api("GET", "/", { env: envWith({ ENVIRONMENT: environment }), unchecked: true });
    expect(res.status).toBe(500);
    expect(res.body).toMatchObject({ code: "configuration_error" });
    expect(res.body.detail).toContain(
      "LOCAL_DB_GATEWAY: LOCAL_DB_GATEWAY is only allowed when ENVIRONMENT is development or test",
    );
  });

  it("refuses the gateway when ENVIRONMENT is left to its default (production)", async () => {
    const { ENVIRONMENT: _omit, ...rest } = testEnv;
    const res = await api("GET", "/", { env: rest as typeof testEnv, unchecked: true });
    expect(res.status).toBe(500);
    expect(res.body.detail).toContain("LOCAL_DB_GATEWAY");
  });

  it.each(["development", "test"])("accepts the local database gateway in %s", async (environment) => {
    const res = await api("GET", "/", { env: envWith({ ENVIRONMENT: environment }) });
    expect(res.status, res.dump).toBe(200);
  });
});

describe("request ids", () => {
  it("echoes a sane client id in the header and in problems", async () => {
    const res = await api("GET", "/nope", { headers: { "X-Request-Id": "client-id_1.2:3" } });
    expect(res.headers.get("X-Request-Id")).toBe("client-id_1.2:3");
    expect(res.body.request_id).toBe("client-id_1.2:3");
  });

  it.each([
    ["too long", "a".repeat(129)],
    ["with spaces", "two words"],
    ["with a newline-ish character", "abc<script>"],
  ])("replaces an id that is %s with a fresh UUID", async (_label, id) => {
    const res = await api("GET", "/", { headers: { "X-Request-Id": id } });
    expect(res.headers.get("X-Request-Id")).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/,
    );
  });

  it("issues one when none is sent, on success and on errors", async () => {
    for (const path of ["/", "/missing"]) {
      const res = await api("GET", path);
      expect(res.headers.get("X-Request-Id")).toMatch(/^[0-9a-f-]{36}$/);
    }
  });
});

describe("CORS and secure headers", () => {
  const corsEnv = envWith({ CORS_ORIGINS: "https://app.example.com, https://admin.example.com" });

  it("allows a configured origin and exposes the request id", async () => {
    const res = await api("GET", "/health", { headers: { Origin: "https://app.example.com" }, env: corsEnv });
    expect(res.headers.get("Access-Control-Allow-Origin")).toBe("https://app.example.com");
    expect(res.headers.get("Access-Control-Expose-Headers")).toContain("X-Request-Id");
  });

  it("does not allow other origins", async () => {
    const res = await api("GET", "/health", {
      headers: { Origin: "https://evil.example.com" },
      env: corsEnv,
    });
    expect(res.headers.get("Access-Control-Allow-Origin")).toBeNull();
  });

  it("answers a preflight for a configured origin", async () => {
    const res = await api("OPTIONS", REGISTER, {
      headers: { Origin: "https://admin.example.com", "Access-Control-Request-Method": "POST" },
      env: corsEnv,
      unchecked: true,
    });
    expect(res.status).toBe(204);
    expect(res.headers.get("Access-Control-Allow-Methods")).toContain("POST");
  });

  it("sets secure headers on every response", async () => {
    const res = await api("GET", "/");
    expect(res.headers.get("X-Content-Type-Options")).toBe("nosniff");
    expect(res.headers.get("X-Frame-Options")).toBe("SAMEORIGIN");
    expect(res.headers.get("Strict-Transport-Security")).toContain("max-age=");
  });
});

describe("signing key configuration", () => {
  it.each([
    ["not JSON", "not-json-at-all"],
    [
      "a public key only (no d)",
      JSON.stringify({ kty: "OKP", crv: "Ed25519", x: "abc", kid: "k1", alg: "EdDSA" }),
    ],
    [
      "an unsupported algorithm",
      JSON.stringify({ kty: "RSA", n: "x", e: "AQAB", d: "y", kid: "k1", alg: "RS256" }),
    ],
  ])("JWT_PRIVATE_KEY that is %s fails closed, naming the variable only", async (_label, value) => {
    const res = await api("GET", "/", { env: envWith({ JWT_PRIVATE_KEY: value }), unchecked: true });
    expect(res.status, res.dump).toBe(500);
    expect(res.body.code).toBe("configuration_error");
    expect(res.body.detail).toContain("JWT_PRIVATE_KEY");
    expect(res.text).not.toContain(value.slice(0, 12));
  });
});
