/**
 * Property-based fuzzing of every operation in the served OpenAPI document (fast-check): valid
 * requests drawn from the declared schemas and mutated ones (wrong types, missing and extra
 * fields, huge strings, odd Unicode and control characters, boundary and non-integer numbers,
 * unknown enum members, malformed JSON, wrong and missing content types, bodies over the limit,
 * duplicated and oversized headers, odd path parameters), each with no credential, a garbage
 * token, a revoked session or a live caller of each role. The properties are in fuzz-world.ts.
 *
 * Operations are read from the document, never listed here: a new route is fuzzed from the moment
 * it is declared. Every failure this suite has found is a named test in regressions.test.ts.
 *
 * Bounded: a fixed seed and FUZZ_RUNS_DEFAULT (fuzz-settings.ts) runs per operation in `npm test`:
 * about 20 s for this file on the project's 2-core machine (19.3 s measured at load 4 with
 * `npx vitest run test/integration/fuzz/fuzz.test.ts`; 43 s with the machine saturated at load 10),
 * the 45 operations' 540 requests plus their database checks. A long run: 300 runs per operation
 * (13,500 requests) took 6 to 7.5 minutes.
 * Long runs: `npm run fuzz -- --seed N --runs M`. The same seed and runs draw the same requests; a
 * failure prints the shrunk request, to be added to regressions.test.ts with the fix.
 */
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { api } from "../../helpers/harness.ts";
import { fuzzSettings } from "./fuzz-settings.ts";
import { createFuzzWorld, type FuzzWorld } from "./fuzz-world.ts";
import { fuzzOperations, type OpenApiDocument } from "./operations.ts";

const { seed, runs, fromCommandLine: longRun } = fuzzSettings();

// Known before the tests are collected, so that each operation is a test of its own.
const operations = fuzzOperations((await api("GET", "/api/openapi.json")).body as OpenApiDocument);

/** Each operation gets its own stream of draws, stable when other operations come and go. */
const seedFor = (name: string) => {
  let h = seed | 0;
  for (const ch of name) h = (Math.imul(h, 31) + ch.charCodeAt(0)) | 0;
  return h;
};

let world: FuzzWorld;
beforeAll(async () => {
  world = await createFuzzWorld();
}, 60_000);
afterAll(() => {
  world?.dispose();
  if (!longRun || !world) return;
  const lines = [...world.statuses].map(
    ([name, counts]) =>
      `${name.padEnd(48)} ${[...counts]
        .sort(([a], [b]) => a - b)
        .map(([status, n]) => `${status}x${n}`)
        .join(" ")}`,
  );
  console.log(`fuzz: seed ${seed}, ${runs} runs per operation; statuses seen:\n${lines.join("\n")}`);
});

describe(`fuzzing every operation in the OpenAPI document (seed ${seed}, ${runs} runs each)`, () => {
  it("finds the operations in the served document (the suite cannot pass vacuously)", () => {
    const names = operations.map((o) => o.name);
    expect(names.length).toBeGreaterThan(40);
    for (const name of ["POST /api/v1/auth/register", "PATCH /api/v1/users/{id}", "POST /api/v1/tasks"])
      expect(names).toContain(name);
    expect(operations.filter((o) => o.roles).length, "protected operations").toBeGreaterThan(20);
    expect(
      operations.filter((o) => Object.keys(o.body.media).length).length,
      "operations with a body",
    ).toBeGreaterThan(10);
  });

  it.each(operations.map((o) => [o.name, o] as const))(
    "%s: no 5xx, declared status, body as declared, rejections change no row",
    async (_name, op) => {
      await world.reset();

      await fc.assert(
        fc.asyncProperty(world.arbitrary(op), async (request) => {
          const outcome = await world.check(op, request);
          if (outcome.failures.length) throw new Error(`${outcome.failures.join("\n")}\n${outcome.dump}`);
        }),
        { seed: seedFor(op.name), numRuns: runs },
      );
    },
    30_000 + runs * 1_500,
  );
});
