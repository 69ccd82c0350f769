import { beforeAll, describe, expect, it } from "vitest";
import { api } from "../../helpers/harness.ts";
import {
  badCredentials,
  type ProtectedOperation,
  protectedOperations,
} from "../../helpers/protected-routes.ts";

let operations: ProtectedOperation[];
let credentials: [string, Record<string, string>][];

beforeAll(async () => {
  operations = await protectedOperations();
  credentials = await badCredentials();
});

describe("shared 401/403 suite over every protected route in the OpenAPI document", () => {
  it("finds the protected routes (the suite cannot pass vacuously)", () => {
    const found = operations.map((o) => `${o.method} ${o.template}`);
    for (const expected of [
      "GET /api/v1/users/me",
      "PATCH /api/v1/users/me",
      "DELETE /api/v1/users/me",
      "POST /api/v1/auth/logout",
      "POST /api/v1/auth/logout-all",
      "POST /api/v1/auth/password/change",
    ]) {
      expect(found).toContain(expected);
    }
  });

  it("refuses every bad credential on every protected route with a 401 problem", async () => {
    const failures: string[] = [];
    for (const op of operations) {
      for (const [label, headers] of credentials) {
        const res = await api(op.method, op.path, { headers, json: op.method === "GET" ? undefined : {} });
        if (res.status !== 401 || res.body.code !== "unauthorized" || !res.headers.get("WWW-Authenticate")) {
          failures.push(`${op.method} ${op.template} with ${label}: ${res.dump}`);
        }
      }
    }
    expect(failures, failures.join("\n")).toEqual([]);
  });
});
