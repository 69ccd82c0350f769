import { Validator } from "@cfworker/json-schema";
import { beforeAll, describe, expect, it } from "vitest";
import { rewriteRefs } from "../../helpers/contract.ts";
import { api } from "../../helpers/harness.ts";
import {
  badCredentials,
  demotedAdmin,
  type ProtectedOperation,
  protectedOperations,
  ROLES,
  type Role,
  requestBody,
  signedInWithRole,
} from "../../helpers/protected-routes.ts";

let operations: ProtectedOperation[];
let credentials: [string, Record<string, string>][];
let doc: Record<string, any>;

beforeAll(async () => {
  operations = await protectedOperations();
  credentials = await badCredentials();
  doc = (await api("GET", "/api/openapi.json")).body;
});

const call = (op: ProtectedOperation, headers: Record<string, string>) =>
  api(op.method, op.path, { headers, ...requestBody(op) });

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
      "GET /api/v1/users",
      "GET /api/v1/users/me/sessions",
      "DELETE /api/v1/users/me/sessions/{id}",
      "POST /api/v1/users/me/avatar",
      "DELETE /api/v1/users/me/avatar",
      "GET /api/v1/pre-register",
      "GET /api/v1/users/{id}",
      "PATCH /api/v1/users/{id}",
      "DELETE /api/v1/users/{id}",
      "POST /api/v1/users/{id}/revoke-sessions",
      "GET /api/v1/users/me/security-events",
      "GET /api/v1/audit-events",
    ]) {
      expect(found).toContain(expected);
    }
    expect(
      operations.some((o) => o.roles.length < ROLES.length),
      "some route restricts roles",
    ).toBe(true);
  });

  it("every protected route states its roles and, when it takes a body, a valid example of it", () => {
    const problems: string[] = [];
    const schemas = rewriteRefs(doc.components.schemas);
    for (const op of operations) {
      const name = `${op.method} ${op.template}`;
      if (!Array.isArray(op.roles) || op.roles.length === 0 || op.roles.some((r) => !ROLES.includes(r)))
        problems.push(`${name}: x-required-roles missing or invalid (${JSON.stringify(op.roles)})`);
      if (!op.hasBody) continue;
      if (op.body === undefined) {
        problems.push(`${name}: no request example`);
        continue;
      }
      const schema = rewriteRefs(op.bodySchema);
      const result = new Validator({ ...schema, $defs: schemas } as never, "2020-12", false).validate(
        op.body,
      );
      if (!result.valid)
        problems.push(`${name}: the example breaks the schema: ${JSON.stringify(result.errors)}`);
    }
    expect(problems, problems.join("\n")).toEqual([]);
  });

  it("refuses every bad credential on every protected route with a 401 problem, even with a valid body", async () => {
    const failures: string[] = [];
    for (const op of operations) {
      for (const [label, headers] of credentials) {
        for (const body of op.hasBody ? [op.body, {}, "{not json"] : [undefined]) {
          const res =
            typeof body === "string"
              ? await api(op.method, op.path, {
                  headers: { ...headers, "Content-Type": "application/json" },
                  body,
                })
              : await api(op.method, op.path, { headers, json: body });
          if (
            res.status !== 401 ||
            res.body.code !== "unauthorized" ||
            !res.headers.get("WWW-Authenticate")
          ) {
            failures.push(
              `${op.method} ${op.template} with ${label}, body ${JSON.stringify(body)}: ${res.dump}`,
            );
          }
        }
      }
    }
    expect(failures, failures.join("\n")).toEqual([]);
  });

  it.each(ROLES)(
    "answers a live %s exactly as the route's roles declare (403 forbidden, or past the gate)",
    async (role: Role) => {
      const failures: string[] = [];
      const refused = await signedInWithRole(role);
      // An admitted caller really runs the route (it may end its own session), so each gets its own;
      // they are signed in concurrently, as one per route in turn outgrew the timeout.
      const callers = await Promise.all(
        operations.map((op) => (op.roles.includes(role) ? signedInWithRole(role) : refused)),
      );
      for (const [i, op] of operations.entries()) {
        const admitted = op.roles.includes(role);
        const caller = callers[i] as typeof refused;
        const res = await call(op, { Authorization: `Bearer ${caller.tokens.access_token}` });
        const passedGate = res.status !== 401 && !(res.status === 403 && res.body.code === "forbidden");
        if (
          admitted ? !passedGate || res.status >= 500 : res.status !== 403 || res.body.code !== "forbidden"
        ) {
          failures.push(
            `${op.method} ${op.template} as ${role} (${admitted ? "admitted" : "refused"}): ${res.dump}`,
          );
        }
      }
      expect(failures, failures.join("\n")).toEqual([]);
    },
    60_000,
  );

  it.each(["user", "moderator"] as const)(
    "an admin demoted to %s is refused at once by every route that does not admit that role",
    async (role) => {
      const caller = await demotedAdmin(role);
      const failures: string[] = [];
      for (const op of operations.filter((o) => !o.roles.includes(role))) {
        const res = await call(op, { Authorization: `Bearer ${caller.tokens.access_token}` });
        if (res.status !== 403 || res.body.code !== "forbidden")
          failures.push(`${op.method} ${op.template}: ${res.dump}`);
      }
      expect(failures, failures.join("\n")).toEqual([]);
    },
  );
});
