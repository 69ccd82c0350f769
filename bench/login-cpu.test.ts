/**
 * CPU time of whole login requests inside workerd: the Worker's own fetch handler against the test
 * database (embedded PostgreSQL behind the local gateway, both outside workerd, so their work is not
 * counted). Run with `npm run bench:password` (this file and password-hash.test.ts).
 *
 * CPU time is workerd's own, read through the CPU_CLOCK service binding (see vitest.config.ts) before
 * and after each request, background work (waitUntil) included; the password hash alone is timed the
 * same way in the same run, so "rest of the login" is the difference of the medians.
 */

import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import { Buffer } from "node:buffer";
import { randomBytes, scryptSync } from "node:crypto";
import { expect, it } from "vitest";
import worker from "../src/index.ts";
import { PASSWORD_HASH_PARAMS, verifyPassword } from "../src/services/password.ts";
import { sql } from "../test/helpers/db.ts";
import { testEnv } from "../test/helpers/harness.ts";

const ROUNDS = 15;
const WARMUP = 2;
const PASSWORD = "violet staple orbit 42";

const { CPU_CLOCK } = env as unknown as { CPU_CLOCK: Fetcher };

async function cpuClock(): Promise<number> {
  const ns = await (await CPU_CLOCK.fetch("http://cpu-clock/")).text();
  return ns ? Number(BigInt(ns) / 1000n) / 1000 : Number.NaN;
}

async function cpuOf(fn: () => Promise<unknown>): Promise<number> {
  const start = await cpuClock();
  await fn();
  return (await cpuClock()) - start;
}

async function post(path: string, json: unknown): Promise<number> {
  const ctx = createExecutionContext();
  const res = await worker.fetch(
    new Request(`http://localhost${path}`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(json),
    }) as Request<unknown, IncomingRequestCfProperties>,
    testEnv,
    ctx,
  );
  await res.arrayBuffer();
  await waitOnExecutionContext(ctx);
  return res.status;
}

const login = (username: string, password = PASSWORD) => post("/api/v1/auth/login", { username, password });

/** A scrypt string as the service stored them before Argon2id. */
function legacyScrypt(password: string): string {
  const salt = randomBytes(16);
  const key = scryptSync(Buffer.from(password.normalize("NFKC")), salt, 32, {
    N: 2 ** 14,
    r: 8,
    p: 5,
    maxmem: 64 * 1024 * 1024,
  });
  const b64 = (b: Uint8Array) => Buffer.from(b).toString("base64").replace(/=+$/, "");
  return `$scrypt$ln=14,r=8,p=5$${b64(salt)}$${b64(key)}`;
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
};

it(
  "CPU time of a login request inside workerd",
  async () => {
    const username = `bench_${crypto.randomUUID().slice(0, 8)}`;
    expect(
      await post("/api/v1/auth/register", { username, email: `${username}@example.com`, password: PASSWORD }),
    ).toBe(201);
    const [user] = await sql`select id, password_hash from users where username = ${username}`;
    const stored = user?.password_hash as string;

    const cases: { operation: string; fn: () => Promise<unknown> }[] = [
      { operation: "clock reads only", fn: async () => undefined },
      { operation: "verifyPassword alone (the hash in a login)", fn: () => verifyPassword(PASSWORD, stored) },
      {
        operation: "login, correct password (200)",
        fn: async () => expect(await login(username)).toBe(200),
      },
      {
        operation: "login, wrong password (401)",
        fn: async () => expect(await login(username, "not the password 1")).toBe(401),
      },
      {
        operation: "login, unknown account (401)",
        fn: async () => expect(await login(`nobody_${crypto.randomUUID().slice(0, 8)}`)).toBe(401),
      },
      {
        // The row is put back to scrypt before each sample (outside the measurement).
        operation: "login over a stored scrypt hash (200, re-hash)",
        fn: async () => expect(await login(username)).toBe(200),
      },
    ];
    const samples = cases.map(() => [] as number[]);
    for (let round = 0; round < WARMUP + ROUNDS; round++) {
      for (let k = 0; k < cases.length; k++) {
        const i = (round + k) % cases.length;
        const c = cases[i] as (typeof cases)[number];
        if (c.operation.startsWith("login over a stored scrypt"))
          await sql`update users set password_hash = ${legacyScrypt(PASSWORD)} where username = ${username}`;
        const ms = await cpuOf(c.fn);
        if (c.operation.startsWith("login over a stored scrypt"))
          await sql`update users set password_hash = ${stored} where username = ${username}`;
        if (round >= WARMUP) samples[i]?.push(ms);
      }
    }

    const rows = cases.map((c, i) => ({ operation: c.operation, cpuMedian: median(samples[i] ?? []) }));
    const width = Math.max(...rows.map((r) => r.operation.length));
    console.log(
      [
        `service parameters: ${JSON.stringify(PASSWORD_HASH_PARAMS)}`,
        `${ROUNDS} interleaved rounds after ${WARMUP} warm-up; median CPU ms inside workerd`,
        ...rows.map((r) => `${r.operation.padEnd(width)}  ${r.cpuMedian.toFixed(1).padStart(7)}`),
      ].join("\n"),
    );
    // NaN only where /proc is missing (not Linux): the requests above still asserted their statuses.
    if (Number.isFinite(await cpuClock())) expect(rows.every((r) => r.cpuMedian > 0)).toBe(true);
  },
  20 * 60_000,
);
