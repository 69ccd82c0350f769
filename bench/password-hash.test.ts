/**
 * Cost of one password hash inside workerd (the runtime production Workers use), with the Worker's own
 * compatibility date and flags from wrangler.toml. Not part of `npx vitest run`; run it with
 *
 *   npx vitest run --config bench/vitest.config.ts
 *
 * It prints median / min / max / mean wall-clock milliseconds per operation. On a shared 2-core
 * machine wall clock is noisy: read the medians. workerd's clock only moves across I/O boundaries
 * (Spectre mitigation), so each sample is fenced with a zero-length timer on both sides; the
 * "fence only" row is that fence's own cost.
 */
import { Buffer } from "node:buffer";
import { randomBytes, scryptSync } from "node:crypto";
import { expect, it } from "vitest";
import { commonPasswordCount, isCommonPassword } from "../src/services/common-passwords.ts";
import {
  hashComputationCount,
  hashPassword,
  PASSWORD_HASH_PARAMS,
  verifyAgainstDummy,
  verifyPassword,
} from "../src/services/password.ts";

const RUNS = 21;
const WARMUP = 2;

const fence = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

async function sample(fn: () => unknown): Promise<number> {
  await fence();
  const start = performance.now();
  await fn();
  await fence();
  return performance.now() - start;
}

interface Stats {
  operation: string;
  runs: number;
  medianMs: number;
  minMs: number;
  maxMs: number;
  meanMs: number;
}

function stats(operation: string, samples: number[]): Stats {
  const sorted = [...samples].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
  const round = (n: number) => Math.round(n * 10) / 10;
  return {
    operation,
    runs: samples.length,
    medianMs: round(median),
    minMs: round(sorted[0] ?? 0),
    maxMs: round(sorted[sorted.length - 1] ?? 0),
    meanMs: round(samples.reduce((a, b) => a + b, 0) / samples.length),
  };
}

async function measure(operation: string, fn: () => unknown, runs = RUNS): Promise<Stats> {
  for (let i = 0; i < WARMUP; i++) await fn();
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) samples.push(await sample(fn));
  return stats(operation, samples);
}

it(
  "password hashing cost inside workerd",
  async () => {
    const { ln, r, p, keyLength, saltLength } = PASSWORD_HASH_PARAMS;
    const rows: Stats[] = [];

    // The common-password list is read (ASSETS) and its Set built on first use: time that once,
    // before anything else touches it.
    const firstLookup = await sample(() => isCommonPassword("warm-up-password"));
    rows.push(
      stats(`isCommonPassword, first call (reads the list, builds Set of ${await commonPasswordCount()})`, [
        firstLookup,
      ]),
    );

    rows.push(await measure("fence only (timer overhead per sample)", () => undefined));

    const stored = await hashPassword("bench password 1");
    const before = hashComputationCount();
    rows.push(await measure("hashPassword (async scrypt)", () => hashPassword("bench password 1")));
    rows.push(await measure("verifyPassword, correct", () => verifyPassword("bench password 1", stored)));
    rows.push(await measure("verifyPassword, wrong", () => verifyPassword("bench password 2", stored)));
    rows.push(await measure("verifyAgainstDummy", () => verifyAgainstDummy("bench password 1")));
    expect(hashComputationCount() - before).toBe(4 * (RUNS + WARMUP));

    const salt = randomBytes(saltLength);
    const pw = Buffer.from("bench password 1");
    const options = { N: 2 ** ln, r, p, maxmem: 256 * 2 ** ln * r };
    rows.push(
      await measure("raw scryptSync, same params (reference)", () =>
        scryptSync(pw, salt, keyLength, options),
      ),
    );

    rows.push(
      await measure(
        "isCommonPassword x 10,000 (warm Set)",
        async () => {
          for (let i = 0; i < 10_000; i++) await isCommonPassword(`candidate-${i}`);
        },
        5,
      ),
    );

    console.log(
      `scrypt ln=${ln} (N=${2 ** ln}), r=${r}, p=${p}, key ${keyLength} B, salt ${saltLength} B; ` +
        `${RUNS} runs after ${WARMUP} warm-up, wall-clock ms inside workerd`,
    );
    const width = Math.max(...rows.map((row) => row.operation.length));
    const cols = ["runs", "median", "min", "max", "mean"] as const;
    const lines = [`${"operation".padEnd(width)}  ${cols.map((c) => c.padStart(7)).join(" ")}`];
    for (const row of rows) {
      const values = [row.runs, row.medianMs, row.minMs, row.maxMs, row.meanMs];
      lines.push(`${row.operation.padEnd(width)}  ${values.map((v) => String(v).padStart(7)).join(" ")}`);
    }
    console.log(lines.join("\n"));

    // Sanity only: the bench must not pass if the work was skipped.
    expect((await verifyPassword("bench password 1", stored)).ok).toBe(true);
    expect(rows.find((row) => row.operation.startsWith("hashPassword"))?.medianMs).toBeGreaterThan(0);
  },
  10 * 60_000,
);
