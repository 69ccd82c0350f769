/**
 * The local stack the bench measures, started the way `npm run dev` starts it: an embedded
 * PostgreSQL (a throw-away cluster here), the local gateway (Neon HTTP + Upstash REST over the real
 * Redis when one answers) and `wrangler dev` instances, each Worker in its own workerd process.
 */
import { randomBytes } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { freePort } from "../../scripts/local/ports.ts";
import { type LocalPostgres, startLocalPostgres } from "../../scripts/local/postgres.ts";
import { type Child, commandLine, listeningPorts, startChild, waitForHttp } from "./processes.ts";

const require = createRequire(import.meta.url);
export const REPO_ROOT = resolve(import.meta.dirname, "../..");
const WRANGLER_BIN = join(dirname(require.resolve("wrangler/package.json")), "bin/wrangler.js");

/** Everything started, in start order; `stopAll` stops it newest first. */
const running: { name: string; stop: () => Promise<void>; interrupt?: () => void }[] = [];

/**
 * Sends SIGINT to every child process group at once, synchronously: on Ctrl-C the bench may not live
 * long enough to stop them one by one. `stopAll` then waits for each.
 */
export function interruptAll(): void {
  for (const entry of running) entry.interrupt?.();
}

/** Stops everything this module started, newest first; safe to call more than once. */
export async function stopAll(say: (line: string) => void): Promise<void> {
  while (running.length > 0) {
    const next = running.pop();
    if (!next) break;
    await next.stop().catch((error) => say(`stopping ${next.name} failed: ${error}`));
  }
}

/** A throw-away embedded PostgreSQL on a free port (fsync off, deleted when stopped). */
export async function startPostgres(): Promise<LocalPostgres> {
  const pg = await startLocalPostgres({ port: await freePort() });
  running.push({ name: "postgres", stop: () => pg.stop() });
  return pg;
}

/** The gateway, in a process of its own so its work does not share autocannon's event loop. */
export interface GatewayProcess {
  url: string;
  controlToken: string;
  upstashToken: string;
  /** `{sql_requests, ws_connections}` the gateway counted for one connection string. */
  stats(connectionString: string): Promise<{ sql_requests: number; ws_connections: number }>;
}

export async function startGateway(options: {
  postgres: LocalPostgres;
  redisUrl: string | undefined;
  runDir: string;
}): Promise<GatewayProcess> {
  const port = await freePort();
  const upstashToken = randomBytes(16).toString("hex");
  const args = ["--import", "tsx", "scripts/local/gateway.ts", "--port", String(port)];
  args.push("--postgres", `127.0.0.1:${options.postgres.port}`, "--token", upstashToken);
  if (options.redisUrl) args.push("--redis", options.redisUrl);
  const child = startChild("gateway", process.execPath, args, {
    cwd: REPO_ROOT,
    logFile: join(options.runDir, "gateway.log"),
  });
  running.push({ name: "gateway", stop: () => child.stop(5000), interrupt: () => child.interrupt() });
  const controlToken = await waitForControlToken(child);
  const url = `http://127.0.0.1:${port}`;
  await waitForHttp(`${url}/__gateway/health`, child, {
    headers: { authorization: `Bearer ${controlToken}` },
  });
  return {
    url,
    controlToken,
    upstashToken,
    async stats(connectionString) {
      const res = await fetch(
        `${url}/__gateway/stats?connection_string=${encodeURIComponent(connectionString)}`,
        { headers: { authorization: `Bearer ${controlToken}` } },
      );
      if (!res.ok) throw new Error(`gateway stats: HTTP ${res.status}`);
      return (await res.json()) as { sql_requests: number; ws_connections: number };
    },
  };
}

/** The gateway CLI prints its per-start control token on one line of its output. */
async function waitForControlToken(child: Child): Promise<string> {
  for (let i = 0; i < 240; i++) {
    const token = /control token \(Authorization: Bearer \.\.\.\) (\S+)/.exec(child.tail(50))?.[1];
    if (token) return token;
    if (child.process.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`the gateway did not start:\n${child.tail()}`);
}

/** A Worker served by `wrangler dev` on 127.0.0.1. */
export interface WorkerProcess {
  name: string;
  /** Where wrangler dev serves it (its proxy worker): the Worker's configured URL, for set-up. */
  url: string;
  /**
   * Where the measured requests go: the Worker's own workerd, past wrangler dev's proxy worker (see
   * `directUrl`), checked before each run (a reload gives workerd a new port); `url` when it cannot
   * be found, which `throughProxy` then records.
   */
  measureUrl(): Promise<string>;
  /** Whether any run went through wrangler's proxy worker because the Worker's own was not found. */
  throughProxy: boolean;
  /** wrangler's output, the Worker's console lines included. */
  logFile: string;
  /**
   * Resolves once the Worker's processes (wrangler, workerd) have used under 10 % of a core for a
   * second: requests a client dropped are still served after it left. Returns the seconds waited.
   */
  waitUntilIdle(): Promise<number>;
}

/** Polls `child`'s CPU use until it stays below `share` of a core for two intervals (at most `maxMs`). */
async function waitUntilIdle(child: Child, share = 0.1, intervalMs = 500, maxMs = 180_000): Promise<number> {
  const started = Date.now();
  const first = child.cpuSeconds();
  if (first === undefined) return 0;
  let last: number = first;
  let quiet = 0;
  while (quiet < 2 && Date.now() - started < maxMs) {
    await new Promise((r) => setTimeout(r, intervalMs));
    const now: number = child.cpuSeconds() ?? last;
    quiet = (now - last) / (intervalMs / 1000) < share ? quiet + 1 : 0;
    last = now;
  }
  return (Date.now() - started) / 1000;
}

/**
 * Runs `wrangler dev --config <config>` with `vars` (written to an env file, mode 600, so secrets
 * stay out of the process list) on a free port, with its own inspector port and local state
 * directory so several instances run side by side. Resolves once `readyPath` answers 2xx.
 */
export async function startWorker(options: {
  name: string;
  /** Its wrangler config, or several run in one session (the first is the one served). */
  config: string | string[];
  /** The Worker's vars and secrets, given the URL it will answer on. */
  vars: (url: string) => Record<string, string>;
  runDir: string;
  readyPath: string;
  /** Where wrangler runs (the Worker's project, so its node_modules resolve). */
  cwd: string;
  /** Measure through wrangler's proxy worker (`url`), not at the Worker's own workerd. */
  viaProxy?: boolean;
}): Promise<WorkerProcess> {
  const [port, inspectorPort] = [await freePort(), await freePort()];
  const url = `http://127.0.0.1:${port}`;
  const envFile = join(options.runDir, `${options.name}.vars`);
  writeFileSync(
    envFile,
    `${Object.entries(options.vars(url))
      .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
      .join("\n")}\n`,
    { mode: 0o600 },
  );
  const state = join(options.runDir, `${options.name}-state`);
  mkdirSync(state, { recursive: true });
  const configs = typeof options.config === "string" ? [options.config] : options.config;
  const args = [WRANGLER_BIN, "dev", ...configs.flatMap((c) => ["--config", c]), "--ip", "127.0.0.1"];
  args.push("--port", String(port), "--inspector-port", String(inspectorPort));
  args.push("--env-file", envFile, "--persist-to", state, "--show-interactive-dev-session=false");
  const child = startChild(options.name, process.execPath, args, {
    cwd: options.cwd,
    logFile: join(options.runDir, `${options.name}.log`),
    env: {
      ...process.env,
      // No telemetry and no download of Request.cf data (these machines have no Internet).
      WRANGLER_SEND_METRICS: "false",
      CLOUDFLARE_CF_FETCH_ENABLED: "false",
    },
  });
  running.push({ name: options.name, stop: () => child.stop(), interrupt: () => child.interrupt() });
  await waitForHttp(`${url}${options.readyPath}`, child);
  let direct: string | undefined;
  const worker: WorkerProcess = {
    name: options.name,
    url,
    throughProxy: options.viaProxy === true,
    async measureUrl() {
      if (options.viaProxy) return url;
      let expected = await answer(url, options.readyPath);
      if (direct && expected !== undefined && (await answer(direct, options.readyPath)) === expected)
        return direct;
      // Not found yet, or workerd was restarted (on a port of its own again): look for it a while,
      // unless there is no /proc to look in.
      for (let attempt = 0; attempt < 10 && child.pids().length > 0; attempt++) {
        expected ??= await answer(url, options.readyPath);
        direct = await directUrl(child, options.readyPath, expected);
        if (direct) return direct;
        await new Promise((r) => setTimeout(r, 1000));
      }
      worker.throughProxy = true;
      return url;
    },
    logFile: child.logFile,
    waitUntilIdle: () => waitUntilIdle(child),
  };
  return worker;
}

/** `status body` of GET `base` + `path`, or undefined when nothing answers in 3 s. */
async function answer(base: string, path: string): Promise<string | undefined> {
  try {
    const res = await fetch(`${base}${path}`, { signal: AbortSignal.timeout(3000) });
    return `${res.status} ${await res.text()}`;
  } catch {
    return undefined;
  }
}

/**
 * The address of the workerd that runs the Worker, behind the one `wrangler dev` prints.
 *
 * wrangler dev starts two workerd processes: the Worker's own (Miniflare's entry worker in front of
 * it, which is what a deployment's edge does), and a proxy worker in front of that, which holds
 * requests while a code change reloads. The proxy copies every request and response through a
 * second workerd and calls back into wrangler's Node process, so on this machine it costs as much
 * CPU per request as a small Worker: with it in the path, a ratio between two Workers measures
 * wrangler as much as them. The Worker's workerd is the child started with an inspector; of the
 * ports it listens on, the one answering `probePath` with `expected` (the proxy's answer) is its entry.
 * Linux only (/proc); undefined elsewhere or when no port answers alike.
 */
async function directUrl(
  child: Child,
  probePath: string,
  expected: string | undefined,
): Promise<string | undefined> {
  if (expected === undefined) return undefined;
  const workerds = child
    .pids()
    .filter((pid) => commandLine(pid).some((w) => w.startsWith("--inspector-addr")));
  for (const pid of workerds) {
    for (const port of listeningPorts(pid)) {
      const base = `http://127.0.0.1:${port}`;
      if ((await answer(base, probePath)) === expected) return base;
    }
  }
  return undefined;
}
