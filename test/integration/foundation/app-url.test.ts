import { describe, expect, it } from "vitest";
import { api, testEnv } from "../../helpers/harness.ts";

// A production-like env: no local gateway (that is refused outside development and test).
const { LOCAL_DB_GATEWAY: _gateway, APP_URL: _appUrl, ...productionBase } = testEnv;
const production = (overrides: Record<string, unknown>) =>
  ({ ...productionBase, ENVIRONMENT: "production", ...overrides }) as typeof testEnv;

describe("APP_URL", () => {
  it("is required outside development and test (wrangler.toml ships it empty)", async () => {
    const res = await api("GET", "/", { env: production({ APP_URL: "" }), unchecked: true });
    expect(res.status, res.dump).toBe(500);
    expect(res.body.code).toBe("configuration_error");
    expect(res.body.detail).toContain("APP_URL: is required outside development and test");
  });

  it("must be https outside development and test", async () => {
    for (const ENVIRONMENT of ["production", "staging"]) {
      const res = await api("GET", "/", {
        env: production({ ENVIRONMENT, APP_URL: "http://127.0.0.1:8787" }),
        unchecked: true,
      });
      expect(res.status, res.dump).toBe(500);
      expect(res.body.detail).toContain("APP_URL: must be an https:// URL");
    }
  });

  it("an https APP_URL in production is accepted and becomes the document's server", async () => {
    const res = await api("GET", "/api/openapi.json", {
      env: production({ APP_URL: "https://auth.example.com" }),
      unchecked: true,
    });
    expect(res.status, res.dump).toBe(200);
    expect(res.body.servers[0].url).toBe("https://auth.example.com");
  });

  it("defaults to the local address in development", async () => {
    const { APP_URL: _omit, ...rest } = testEnv;
    const res = await api("GET", "/api/openapi.json", {
      env: { ...rest, ENVIRONMENT: "development" } as typeof testEnv,
    });
    expect(res.status, res.dump).toBe(200);
    expect(res.body.servers[0].url).toBe("http://127.0.0.1:8787");
  });
});
