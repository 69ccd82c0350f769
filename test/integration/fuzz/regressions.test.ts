/**
 * Every failure the fuzz suite (fuzz.test.ts) has found, as the request it shrank to, named after
 * what it found. Each runs through the same checks as the fuzz suite (no 5xx, a declared status, a
 * body as declared, the problem code the document implies, no row changed by a rejection) and
 * states the answer the fix gives.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createFuzzWorld, type FuzzWorld } from "./fuzz-world.ts";
import { type FuzzRequest, Repeat } from "./requests.ts";
import { Known } from "./schema-arbitraries.ts";

let world: FuzzWorld;
beforeAll(async () => {
  world = await createFuzzWorld();
}, 60_000);
afterAll(() => world?.dispose());

/** A request as the fuzz suite prints it; unset parts are empty. */
const request = (r: Partial<FuzzRequest> & Pick<FuzzRequest, "credential">): FuzzRequest => ({
  path: {},
  query: [],
  headers: [],
  extraHeaders: [],
  body: undefined,
  mutation: "regression",
  ...r,
});

/** Sends `r` to `operation`; every fuzz property must hold, and the answer must be `status` `code`. */
async function expectAnswer(operation: string, r: FuzzRequest, status: number, code: string | undefined) {
  const outcome = await world.check(world.operation(operation), r);
  expect(outcome.failures, outcome.dump).toEqual([]);
  expect({ status: outcome.status, code: outcome.code }, outcome.dump).toEqual({ status, code });
}

const OVER_THE_BODY_LIMIT = {
  kind: "text",
  text: new Repeat("x", 1024 * 1024 + 1),
  contentType: "application/json",
} as const;

describe("fuzz findings, kept as regression tests", () => {
  it.each(["POST /api/v1/auth/logout-all", "DELETE /api/v1/users/me/avatar"])(
    "a body over the size limit on %s (a route that declares no body) is a declared 413",
    async (operation) => {
      await expectAnswer(
        operation,
        request({ credential: "anonymous", body: OVER_THE_BODY_LIMIT }),
        413,
        "payload_too_large",
      );
    },
  );

  it("a NUL in the login name (form-encoded) is 422, not a 500 from the database", async () => {
    await expectAnswer(
      "POST /api/v1/auth/login",
      request({
        credential: "user",
        body: {
          kind: "value",
          mediaType: "application/x-www-form-urlencoded",
          value: { username: "\u0000", password: " " },
        },
      }),
      422,
      "validation_failed",
    );
  });

  it.each([
    ["POST /api/v1/auth/login", "json", { username: "a\u0000b", password: "whatever-it-is" }],
    [
      "POST /api/v1/auth/register",
      "json",
      {
        username: "nul_name",
        email: "nul@example.com",
        password: "violet-harbor-lantern-42",
        full_name: "a\u0000b",
      },
    ],
    ["PATCH /api/v1/users/me", "json", { full_name: "a\u0000b" }],
    ["POST /api/v1/pre-register", "json", { email: "nul@example.com", source: "a\u0000b" }],
    ["POST /api/v1/tasks", "json", { type: "process_data", data: { "a\u0000b": 1 } }],
    ["POST /api/v1/tasks", "json", { type: "process_data", data: "a\ud800b" }],
  ] as const)(
    "a NUL or a lone surrogate in a JSON string of %s is 422, not a 500",
    async (operation, _, value) => {
      await expectAnswer(
        operation,
        request({ credential: "user", body: { kind: "value", mediaType: "application/json", value } }),
        422,
        "validation_failed",
      );
    },
  );

  it.each([
    ["GET /api/v1/users", "q"],
    ["GET /api/v1/pre-register", "source"],
    ["GET /api/v1/audit-events", "action"],
  ] as const)("a NUL in the query (%s ?%s=) is 422, not a 500", async (operation, name) => {
    const credential = "admin";
    await expectAnswer(
      operation,
      request({ credential, query: [[name, "a\u0000b"]] }),
      422,
      "validation_failed",
    );
  });

  it.each(["GET /api/v1/users/{id}", "DELETE /api/v1/users/{id}", "POST /api/v1/users/{id}/revoke-sessions"])(
    "an over-long user id on %s is the declared 422 (ids over 64 characters), not an undeclared status",
    async (operation) => {
      await expectAnswer(
        operation,
        request({ credential: "admin", path: { id: { value: new Repeat("a", 2000) } } }),
        422,
        "validation_failed",
      );
    },
  );

  it("no body at all on PATCH /api/v1/users/me (whose body is required) is 422, never taken as {}", async () => {
    await expectAnswer("PATCH /api/v1/users/me", request({ credential: "user" }), 422, "validation_failed");
  });

  it.each([
    ["GET /api/v1/users/me/credits", "skip", ""],
    ["GET /api/v1/users/me/sessions", "skip", "0x10"],
    ["GET /api/v1/tasks", "limit", " 5"],
    ["GET /api/v1/users/me/security-events", "limit", "1e1"],
  ] as const)("%s ?%s=%j is 422, not read as a number", async (operation, name, value) => {
    await expectAnswer(
      operation,
      request({ credential: "user", query: [[name, value]] }),
      422,
      "validation_failed",
    );
  });

  it.each([null, "text/plain"])(
    "a signed webhook sent with Content-Type %s is 400 invalid_content_type",
    async (contentType) => {
      await expectAnswer(
        "POST /api/v1/billing/webhook",
        request({
          credential: "anonymous",
          headers: [["stripe-signature", new Known("signature")]],
          body: {
            kind: "value",
            mediaType: "application/json",
            value: { id: "evt_fuzz", type: "ping", data: { object: {} } },
            contentType,
          },
        }),
        400,
        "invalid_content_type",
      );
    },
  );

  it("a signed webhook whose event id holds a NUL is 400 invalid_event, not a 500", async () => {
    await expectAnswer(
      "POST /api/v1/billing/webhook",
      request({
        credential: "anonymous",
        headers: [["stripe-signature", new Known("signature")]],
        body: {
          kind: "value",
          mediaType: "application/json",
          value: { id: "\u0000", type: "", data: { object: {} } },
        },
      }),
      400,
      "invalid_event",
    );
  });
});
