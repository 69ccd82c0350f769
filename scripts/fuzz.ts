/**
 * `npm run fuzz -- --seed N --runs M`: the property-based fuzz suite (test/integration/fuzz) with
 * the seed and the runs per operation given here instead of the fixed ones `npm test` uses. It
 * prints the statuses each operation answered; a failure prints the seed and the shrunk request.
 */
import { spawnSync } from "node:child_process";
import { parseArgs } from "node:util";

const usage =
  "usage: npm run fuzz -- [--seed N] [--runs M]   (runs per operation; default seed random, 200 runs)";
let values: { seed?: string; runs?: string; help?: boolean };
try {
  ({ values } = parseArgs({
    options: { seed: { type: "string" }, runs: { type: "string" }, help: { type: "boolean", short: "h" } },
  }));
} catch (err) {
  console.error(`${(err as Error).message}\n${usage}`);
  process.exit(2);
}
if (values.help) {
  console.log(usage);
  process.exit(0);
}
const seed = values.seed ?? String(Math.floor(Math.random() * 2 ** 31));
const runs = values.runs ?? "200";
for (const [name, value] of [
  ["--seed", seed],
  ["--runs", runs],
] as const) {
  if (!/^-?\d+$/.test(value) || (name === "--runs" && Number(value) < 1)) {
    console.error(`${name} must be an integer${name === "--runs" ? " >= 1" : ""}, got ${value}\n${usage}`);
    process.exit(2);
  }
}

console.log(`fuzz: seed ${seed}, ${runs} runs per operation`);
const result = spawnSync(
  "npx",
  ["vitest", "run", "--project", "workers", "test/integration/fuzz/fuzz.test.ts"],
  { stdio: "inherit", env: { ...process.env, FUZZ_SEED: seed, FUZZ_RUNS: runs } },
);
process.exit(result.status ?? 1);
