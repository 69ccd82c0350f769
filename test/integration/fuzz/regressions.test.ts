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
});
