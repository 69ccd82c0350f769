/**
 * The fuzz suite's seed and runs per operation: fixed in `npm test`, given on the command line by
 * `npm run fuzz -- --seed N --runs M` (as FUZZ_SEED / FUZZ_RUNS, which vitest.config.ts provides).
 */
import { inject } from "vitest";

declare module "vitest" {
  export interface ProvidedContext {
    /** FUZZ_SEED from the environment ("" when unset). */
    fuzzSeed?: string;
    /** FUZZ_RUNS from the environment ("" when unset). */
    fuzzRuns?: string;
  }
}

export const FUZZ_SEED_DEFAULT = 20_260_101;
/** Runs per operation in `npm test` (see the time bound in fuzz.test.ts). */
export const FUZZ_RUNS_DEFAULT = 12;

export function fuzzSettings(): { seed: number; runs: number; fromCommandLine: boolean } {
  const seed = inject("fuzzSeed");
  const runs = inject("fuzzRuns");
  return {
    seed: Number(seed || FUZZ_SEED_DEFAULT),
    runs: Number(runs || FUZZ_RUNS_DEFAULT),
    fromCommandLine: Boolean(seed || runs),
  };
}
