import { describe, expect, it } from "vitest";
import { version } from "../../../package.json";
import { api, envWith } from "../../helpers/harness.ts";

describe("health", () => {
  it.each(["/health", "/api/v1/health"])("%s reports a healthy database", async (path) => {
    const res = await api("GET", path);
    expect(res.status, res.dump).toBe(200);
    expect(res.body).toEqual({ status: "healthy", database: "healthy", redis: "disabled", version });
  });

  it("answers 503 unhealthy when the database does not answer (dead port)", async () => {
    const env = envWith({ DATABASE_URL: "postgres://postgres:postgres@127.0.0.1:9/auth_api" });
    const res = await api("GET", "/health", { env });
    expect(res.status, res.dump).toBe(503);
    expect(res.body).toMatchObject({ status: "unhealthy", database: "unhealthy" });
  });
});

describe("meta and the OpenAPI document", () => {
  it("GET / gives name, version and doc links", async () => {
    const res = await api("GET", "/");
    expect(res.status, res.dump).toBe(200);
    expect(res.body).toEqual({
      name: "Edge Auth API",
      version,
      docs: { swagger_ui: "/api/docs", redoc: "/api/redoc", openapi: "/api/openapi.json" },
      health: "/health",
    });
  });

  it.each(["/api/openapi.json", "/api/schema"])(
    "%s serves OpenAPI 3.1 with both security schemes",
    async (path) => {
      const res = await api("GET", path);
      expect(res.status, res.dump).toBe(200);
      expect(res.body.openapi).toBe("3.1.0");
      expect(res.body.components.securitySchemes.bearerAuth).toMatchObject({
        type: "http",
        scheme: "bearer",
      });
      expect(res.body.components.securitySchemes.oauth2Password.flows.password.tokenUrl).toBe(
        "/api/v1/auth/login",
      );
      expect(res.body.components.responses.UnprocessableContent).toBeDefined();
      expect(res.body.paths["/health"].get).toBeDefined();
      // The server integrators' clients will call is this deployment's APP_URL.
      expect(res.body.servers).toEqual([
        { url: "http://localhost", description: "This deployment (APP_URL): test.", "x-internal": false },
      ]);
    },
  );

  // The docs pages themselves: test/integration/docs/docs.test.ts.
});

describe("OpenAPI documents the standard headers", () => {
  it("every response declares X-Request-Id and the RateLimit-* headers; 429 adds Retry-After", async () => {
    const doc = (await api("GET", "/api/openapi.json")).body;
    expect(Object.keys(doc.components.headers)).toEqual(
      expect.arrayContaining([
        "X-Request-Id",
        "RateLimit-Limit",
        "RateLimit-Remaining",
        "RateLimit-Reset",
        "Retry-After",
      ]),
    );
    expect(Object.keys(doc.components.responses.TooManyRequests.headers)).toContain("Retry-After");
    const missing: string[] = [];
    for (const [path, item] of Object.entries<any>(doc.paths)) {
      for (const [method, op] of Object.entries<any>(item)) {
        for (const [status, response] of Object.entries<any>(op.responses)) {
          const resolved = response.$ref
            ? doc.components.responses[response.$ref.split("/").pop()]
            : response;
          if (!resolved.headers?.["RateLimit-Limit"] || !resolved.headers?.["X-Request-Id"])
            missing.push(`${method} ${path} ${status}`);
        }
      }
    }
    expect(missing).toEqual([]);
  });
});
