/**
 * Cost of one password hash inside workerd (the runtime production Workers use), with the Worker's own
 * compatibility date and flags from wrangler.toml. Not part of `npx vitest run`; run it with
 *
 *   npm run bench:password
 *
 * Every candidate runs in the same isolate, interleaved: each round runs every candidate once (the
 * starting candidate rotates), so a burst of load from elsewhere on the machine touches all of them
 * alike. Each sample records
 *
 * - CPU time: the workerd process's own CPU nanoseconds (/proc schedstat, read in Node through the
 *   CPU_CLOCK service binding of bench/vitest.config.ts) before and after. This is what Workers bill,
 *   and it does not grow while other processes hold the machine's cores;
 * - wall-clock time, which does.
 *
 * The hashes are synchronous work on the isolate's thread (workerd's async scrypt included). Each
 * CPU_CLOCK call is also the I/O that workerd's clock needs to move (it stands still between I/O, a
 * Spectre mitigation); the "clock reads only" row is the cost of the two reads themselves.
 */

import { env } from "cloudflare:test";
import { Buffer } from "node:buffer";
import { randomBytes, scryptSync } from "node:crypto";
import { argon2id as nobleArgon2id } from "@noble/hashes/argon2.js";
import { scrypt as nobleScrypt } from "@noble/hashes/scrypt.js";
import Argon2, { Argon2Type, Argon2Version } from "@phi-ag/argon2";
import phiWasm from "@phi-ag/argon2/argon2.wasm";
import openpgpNoSimdWasm from "argon2id/dist/no-simd.wasm";
import openpgpSimdWasm from "argon2id/dist/simd.wasm";
import setupOpenpgpArgon2id from "argon2id/lib/setup.js";
import { expect, it } from "vitest";
import { commonPasswordCount, isCommonPassword } from "../src/services/common-passwords.ts";
import {
  hashComputationCount,
  hashPassword,
  PASSWORD_HASH_PARAMS,
  verifyAgainstDummy,
  verifyPassword,
} from "../src/services/password.ts";

const ROUNDS = 21;
const WARMUP = 2;

const { CPU_CLOCK } = env as unknown as { CPU_CLOCK: Fetcher };

/** The workerd process's CPU time so far in ms; NaN where /proc is not there to read. */
async function cpuClock(): Promise<number> {
  const ns = await (await CPU_CLOCK.fetch("http://cpu-clock/")).text();
  return ns ? Number(BigInt(ns) / 1000n) / 1000 : Number.NaN;
}

interface Sample {
  cpuMs: number;
  wallMs: number;
}

async function sample(fn: () => unknown): Promise<Sample> {
  const cpuStart = await cpuClock();
  const wallStart = performance.now();
  await fn();
  const cpuEnd = await cpuClock();
  return { cpuMs: cpuEnd - cpuStart, wallMs: performance.now() - wallStart };
}

interface Candidate {
  operation: string;
  fn: () => unknown;
  /** Fewer measured rounds for the slow pure-JavaScript references. */
  rounds?: number;
}

interface Row {
  operation: string;
  runs: number;
  cpuMedian: number;
  cpuMin: number;
  cpuMax: number;
  wallMedian: number;
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
};

function row(operation: string, samples: Sample[]): Row {
  const cpu = samples.map((s) => s.cpuMs);
  const round = (n: number) => Math.round(n * 10) / 10;
  return {
    operation,
    runs: samples.length,
    cpuMedian: round(median(cpu)),
    cpuMin: round(Math.min(...cpu)),
    cpuMax: round(Math.max(...cpu)),
    wallMedian: round(median(samples.map((s) => s.wallMs))),
  };
}

/** Runs every candidate once per round, starting one further along each round. */
async function interleaved(candidates: Candidate[]): Promise<Row[]> {
  const samples = candidates.map(() => [] as Sample[]);
  for (let round = 0; round < WARMUP + ROUNDS; round++) {
    for (let k = 0; k < candidates.length; k++) {
      const i = (round + k) % candidates.length;
      const candidate = candidates[i] as Candidate;
      const measured = round - WARMUP;
      if (measured >= (candidate.rounds ?? ROUNDS)) continue;
      const result = await sample(candidate.fn);
      if (measured >= 0) samples[i]?.push(result);
    }
  }
  return candidates.map((c, i) => row(c.operation, samples[i] ?? []));
}

function print(title: string, rows: Row[]) {
  const width = Math.max(...rows.map((r) => r.operation.length));
  const cols = ["runs", "CPU med", "CPU min", "CPU max", "wall med"];
  const lines = [title, `${"operation".padEnd(width)}  ${cols.map((c) => c.padStart(8)).join(" ")}`];
  for (const r of rows) {
    const values = [r.runs, r.cpuMedian, r.cpuMin, r.cpuMax, r.wallMedian];
    lines.push(`${r.operation.padEnd(width)}  ${values.map((v) => String(v).padStart(8)).join(" ")}`);
  }
  console.log(lines.join("\n"));
}

const MiB = 1024 * 1024;
const PASSWORD = "bench password 1";
const pwBytes = Buffer.from(PASSWORD);
const salt = randomBytes(16);

/** scrypt through node:crypto (OpenSSL inside workerd). */
const nodeScrypt = (ln: number, r: number, p: number) => () =>
  scryptSync(pwBytes, salt, 32, { N: 2 ** ln, r, p, maxmem: 2 * 128 * 2 ** ln * r + 128 * r * p });

/** OWASP's Argon2id rows (m in KiB, t passes, p = 1): all of equal strength. */
const OWASP_ARGON2ID = [
  { m: 47104, t: 1 },
  { m: 19456, t: 2 },
  { m: 12288, t: 3 },
  { m: 9216, t: 4 },
  { m: 7168, t: 5 },
];

it(
  "password hashing cost inside workerd",
  async () => {
    // The common-password list is read (STATIC) and its Set built on first use: time that once,
    // before anything else touches it.
    const firstLookup = await sample(() => isCommonPassword("warm-up-password"));

    // Workers refuse to compile WebAssembly from bytes at run time (why hash-wasm, which embeds its
    // module as base64 and compiles it on first use, cannot run here).
    // (The Workers types leave WebAssembly.compile out for that reason.)
    const { compile } = WebAssembly as unknown as { compile(bytes: Uint8Array): Promise<unknown> };
    const compileFromBytes = await compile(new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0])).then(
      () => "allowed",
      (e: unknown) => `refused (${String(e)})`,
    );

    // One @phi-ag/argon2 instance per row, so each row's memory can be read off afterwards (a
    // WebAssembly memory grows to the largest hash it has made and never shrinks).
    let phiRows: { m: number; t: number; instance: WebAssembly.Instance; argon2: Argon2 }[] = [];
    const instantiation = await sample(async () => {
      phiRows = await Promise.all(
        OWASP_ARGON2ID.map(async ({ m, t }) => {
          const instance = await WebAssembly.instantiate(phiWasm);
          return { m, t, instance, argon2: new Argon2(instance) };
        }),
      );
    });
    const phiHash =
      ({ m, t, argon2 }: (typeof phiRows)[number]) =>
      () =>
        argon2.hash(PASSWORD, {
          salt,
          memoryCost: m,
          timeCost: t,
          parallelism: 1,
          hashLength: 32,
          type: Argon2Type.Argon2id,
          version: Argon2Version.Version13,
        });

    const openpgp = await setupOpenpgpArgon2id(
      async (imports) => ({ instance: await WebAssembly.instantiate(openpgpSimdWasm, imports) }),
      async (imports) => ({ instance: await WebAssembly.instantiate(openpgpNoSimdWasm, imports) }),
    );

    // The service's own paths (whatever PASSWORD_HASH_PARAMS are), and a login of an account whose
    // hash is still the earlier scrypt string: one scrypt to verify, then one new hash to store.
    const stored = await hashPassword(PASSWORD);
    const legacy = (() => {
      const key = nodeScrypt(14, 8, 5)();
      const b64 = (b: Uint8Array) => Buffer.from(b).toString("base64").replace(/=+$/, "");
      return `$scrypt$ln=14,r=8,p=5$${b64(salt)}$${b64(key)}`;
    })();
    const countBefore = hashComputationCount();

    const candidates: Candidate[] = [
      { operation: "clock reads only (overhead per sample)", fn: () => undefined },
      { operation: "scrypt N=2^14 r=8 p=5, node:crypto (16 MiB)", fn: nodeScrypt(14, 8, 5) },
      { operation: "scrypt N=2^13 r=8 p=10, node:crypto (8 MiB)", fn: nodeScrypt(13, 8, 10) },
      { operation: "scrypt N=2^15 r=8 p=3, node:crypto (32 MiB)", fn: nodeScrypt(15, 8, 3) },
      { operation: "scrypt N=2^16 r=8 p=2, node:crypto (64 MiB)", fn: nodeScrypt(16, 8, 2) },
      { operation: "scrypt N=2^14 r=16 p=1, node:crypto (below OWASP)", fn: nodeScrypt(14, 16, 1) },
      {
        operation: "scrypt N=2^14 r=16 p=1, @noble/hashes (below OWASP)",
        fn: () => nobleScrypt(pwBytes, salt, { N: 2 ** 14, r: 16, p: 1, dkLen: 32 }),
        rounds: 5,
      },
      ...phiRows.map((phiRow) => ({
        operation: `argon2id m=${phiRow.m} t=${phiRow.t} p=1, @phi-ag/argon2`,
        fn: phiHash(phiRow),
      })),
      {
        operation: "argon2id m=19456 t=2 p=1, argon2id (openpgpjs)",
        fn: () =>
          openpgp({ password: pwBytes, salt, parallelism: 1, passes: 2, memorySize: 19456, tagLength: 32 }),
      },
      {
        operation: "argon2id m=19456 t=2 p=1, @noble/hashes",
        fn: () => nobleArgon2id(pwBytes, salt, { m: 19456, t: 2, p: 1, dkLen: 32 }),
        rounds: 5,
      },
      { operation: "service: hashPassword", fn: () => hashPassword(PASSWORD) },
      { operation: "service: verifyPassword, correct", fn: () => verifyPassword(PASSWORD, stored) },
      { operation: "service: verifyPassword, wrong", fn: () => verifyPassword("bench password 2", stored) },
      { operation: "service: verifyAgainstDummy", fn: () => verifyAgainstDummy(PASSWORD) },
      {
        operation: "service: legacy scrypt login (verify + rehash)",
        fn: async () => {
          const check = await verifyPassword(PASSWORD, legacy);
          if (check.ok && check.needsRehash) await hashPassword(PASSWORD);
        },
      },
    ];
    const rows = await interleaved(candidates);
    // 4 service rows of one hash each, and the legacy login of two.
    expect(hashComputationCount() - countBefore).toBe(6 * (WARMUP + ROUNDS));

    const lookups = await interleaved([
      {
        operation: "isCommonPassword x 10,000 (warm Set)",
        fn: async () => {
          for (let i = 0; i < 10_000; i++) await isCommonPassword(`candidate-${i}`);
        },
        rounds: 5,
      },
    ]);

    const memory = phiRows.map(({ m, t, instance }) => {
      const bytes = (instance.exports.memory as WebAssembly.Memory).buffer.byteLength;
      return `  argon2id m=${m} t=${t}: ${(bytes / MiB).toFixed(1)} MiB`;
    });
    console.log(
      [
        `service parameters: ${JSON.stringify(PASSWORD_HASH_PARAMS)}`,
        `WebAssembly.compile(bytes) at run time: ${compileFromBytes}`,
        `@phi-ag/argon2 instantiation from the deploy-time module: ${(instantiation.cpuMs / phiRows.length).toFixed(1)} ms CPU`,
        "@phi-ag/argon2 WebAssembly memory after hashing (kept for the isolate's life):",
        ...memory,
        `isCommonPassword, first call (reads the list through STATIC, builds Set of ${await commonPasswordCount()}): ${firstLookup.cpuMs.toFixed(1)} ms CPU`,
      ].join("\n"),
    );
    print(`${ROUNDS} interleaved rounds after ${WARMUP} warm-up; ms per operation inside workerd`, [
      ...rows,
      ...lookups,
    ]);

    // Sanity only: the bench must not pass if the work was skipped.
    expect((await verifyPassword(PASSWORD, stored)).ok).toBe(true);
    expect((await verifyPassword(PASSWORD, legacy)).ok).toBe(true);
    expect(rows.find((r) => r.operation === "service: hashPassword")?.wallMedian).toBeGreaterThan(0);
  },
  20 * 60_000,
);
