/**
 * Benchmarks that must run inside workerd. Kept out of the normal test run (the root config only
 * includes test/**); run with `npx vitest run --config bench/vitest.config.ts` from the repo root.
 * The login bench needs the test database and gateway: the same global setup and test-only
 * bindings as the root config.
 */
import { readdirSync, readFileSync } from "node:fs";
import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";
import { staticWorker } from "../test/setup/static-worker.ts";

/** Parent pid and command name of a process, from /proc/<pid>/stat; undefined once it is gone. */
function procStat(pid: number): { ppid: number; comm: string } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // "pid (comm) state ppid ...": comm may hold spaces, so split after its closing parenthesis.
    const close = stat.lastIndexOf(")");
    const ppid = Number(stat.slice(close + 2).split(" ")[1]);
    return { ppid, comm: stat.slice(stat.indexOf("(") + 1, close) };
  } catch {
    return undefined;
  }
}

/** The workerd process this Vitest run started (other workerd processes on the machine are not ours). */
function ownWorkerd(): number | undefined {
  for (const entry of readdirSync("/proc")) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || procStat(pid)?.comm !== "workerd") continue;
    for (let p: number | undefined = pid; p && p > 1; p = procStat(p)?.ppid) {
      if (p === process.pid) return pid;
    }
  }
  return undefined;
}

/**
 * CPU time, in nanoseconds, that the bench's workerd process has used so far: the sum over its
 * threads of the first field of /proc/<pid>/task/<tid>/schedstat (time on a CPU, in ns). Unlike wall
 * clock this does not grow while other processes hold the machine's cores.
 */
function workerdCpuNanoseconds(): string {
  const pid = ownWorkerd();
  if (!pid) return "";
  let total = 0n;
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      total += BigInt(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, "utf8").split(" ")[0] ?? "0");
    } catch {
      // A thread that ended between listing and reading.
    }
  }
  return String(total);
}

export default defineConfig({
  // Keep Vite's cache with the repo's (root is bench/, which would otherwise grow a node_modules/).
  cacheDir: "../node_modules/.vite-bench",
  plugins: [
    cloudflareTest({
      // The Worker's own compatibility date and flags (nodejs_compat for node:crypto).
      wrangler: { configPath: "../wrangler.toml" },
      miniflare: {
        // The assets-only Worker the API reads its static files from (STATIC binding).
        workers: [staticWorker],
        bindings: {
          ENVIRONMENT: "test",
          LOG_LEVEL: "silent",
          RATE_LIMIT_ENABLED: "false",
          JWT_SECRET: "bench-secret-bench-secret-bench-secret-012345",
          APP_URL: "http://localhost",
        },
        // Answered in Node, outside workerd: the bench reads its own process's CPU time through it.
        serviceBindings: { CPU_CLOCK: () => new Response(workerdCpuNanoseconds()) },
      },
    }),
  ],
  test: {
    name: "bench",
    root: import.meta.dirname,
    include: ["**/*.test.ts"],
    globalSetup: ["../test/setup/global-setup.ts"],
    testTimeout: 10 * 60_000,
    // One file at a time so benches do not compete for the two cores.
    fileParallelism: false,
  },
});
