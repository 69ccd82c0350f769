/**
 * `npm run client:check`: proves that a client generated from the served OpenAPI document works.
 *
 * 1. Starts the API as `npm run dev` starts it (embedded PostgreSQL, gateway, wrangler dev), on free
 *    ports, and waits until GET /health answers 200. With `--url URL` it uses that server instead.
 * 2. Fetches URL/api/openapi.json (waiting out a 429 like any client) into dist/served-openapi.json
 *    and generates TypeScript types from it with openapi-typescript (scripts/client/api.ts, not kept
 *    in git).
 * 3. Type-checks the openapi-fetch program scripts/client/flow.ts against them (tsc --noEmit).
 * 4. Runs it: register, login, me, refresh, create a task and poll it, logout, each step checked.
 * 5. Stops what it started, as Ctrl-C does.
 *
 * It uses this checkout's .data/ like `npm run dev`, so stop a running `npm run dev` first (or pass
 * `--url http://127.0.0.1:8787` to check that one).
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdirSync, writeFileSync } from "node:fs";
import { createInterface } from "node:readline";
import { freePort } from "./local/ports.ts";

const TYPES_FILE = "scripts/client/api.ts";
const DOCUMENT_FILE = "dist/served-openapi.json";
const READY_TIMEOUT_MS = 180_000;

const say = (line: string) => console.log(`[client:check] ${line}`);
const run = (command: string, args: string[], env: NodeJS.ProcessEnv = process.env) =>
  execFileSync(command, args, { stdio: "inherit", env });

/** Starts `npm run dev` in its own process group, its output prefixed; resolves with its base URL. */
async function startDev(): Promise<{ url: string; child: ChildProcess }> {
  const [port, postgresPort, gatewayPort] = [await freePort(), await freePort(), await freePort()];
  const child = spawn("npm", ["run", "dev"], {
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
    env: {
      ...process.env,
      PORT: String(port),
      DEV_POSTGRES_PORT: String(postgresPort),
      DEV_GATEWAY_PORT: String(gatewayPort),
      LOG_LEVEL: process.env.LOG_LEVEL ?? "warn",
    },
  });
  for (const stream of [child.stdout, child.stderr])
    if (stream) createInterface({ input: stream }).on("line", (line) => console.log(`  | ${line}`));
  return { url: `http://127.0.0.1:${port}`, child };
}

/**
 * Polls GET /health once a second until the Worker answers 200, or 429 (it is serving, and dev.ts
 * migrated the database before starting it; the flow waits out rate limits itself). Fails when the
 * server exits or the time is up.
 */
async function waitUntilReady(url: string, child: ChildProcess | undefined): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child && child.exitCode !== null) throw new Error(`the dev server exited (${child.exitCode})`);
    const status = await fetch(`${url}/health`).then(
      (res) => res.status,
      () => 0,
    );
    if (status === 200 || status === 429) return;
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
  throw new Error(`${url}/health did not answer 200 within ${READY_TIMEOUT_MS / 1000} s`);
}

/**
 * Saves the served document. Rate limits apply to it like to any route (and, with Redis, they are
 * shared with everything else that calls this machine's dev servers), so a 429 is waited out.
 */
async function saveDocument(documentUrl: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    const res = await fetch(documentUrl);
    if (res.ok) {
      mkdirSync("dist", { recursive: true });
      writeFileSync(DOCUMENT_FILE, await res.text());
      return;
    }
    if (res.status !== 429 || attempt >= 5) throw new Error(`${documentUrl} answered ${res.status}`);
    const seconds = Math.min(Number(res.headers.get("Retry-After") ?? 1), 60);
    say(`${documentUrl} answered 429: retrying in ${seconds} s`);
    await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
  }
}

/** Sends `signal` (0: only asks whether it exists) to the process group; false when none of it is left. */
function signalGroup(pid: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(-pid, signal);
    return true;
  } catch {
    return false; // ESRCH: the whole group has exited
  }
}

/** Ctrl-C for the whole process group (npm, dev.ts, wrangler, PostgreSQL); SIGKILL after 30 s. */
async function stopDev(child: ChildProcess): Promise<void> {
  const pid = child.pid;
  if (pid === undefined) return;
  const exited = child.exitCode !== null || child.signalCode !== null ? undefined : once(child, "exit");
  if (!signalGroup(pid, "SIGINT")) return;
  const timer = setTimeout(() => signalGroup(pid, "SIGKILL"), 30_000);
  await exited;
  // npm may exit before what it started: wait (up to the same 30 s) until the group is gone.
  const deadline = Date.now() + 30_000;
  while (signalGroup(pid, 0) && Date.now() < deadline)
    await new Promise((resolve) => setTimeout(resolve, 200));
  clearTimeout(timer);
  signalGroup(pid, "SIGKILL");
}

async function main(): Promise<string> {
  const urlFlag = process.argv.indexOf("--url");
  const given = urlFlag >= 0 ? process.argv[urlFlag + 1]?.replace(/\/$/, "") : undefined;
  let dev: { url: string; child: ChildProcess } | undefined;
  const stop = async () => {
    if (dev) await stopDev(dev.child);
  };
  for (const signal of ["SIGINT", "SIGTERM"] as const)
    process.on(signal, () => void stop().then(() => process.exit(130)));

  try {
    if (given) {
      say(`using ${given}`);
    } else {
      say("starting the API as `npm run dev` does");
      dev = await startDev();
    }
    const url = given ?? (dev as { url: string }).url;
    await waitUntilReady(url, dev?.child);
    say(`${url} is up; generating types from ${url}/api/openapi.json`);
    await saveDocument(`${url}/api/openapi.json`);
    run("npx", ["openapi-typescript", DOCUMENT_FILE, "--output", TYPES_FILE]);
    say("type-checking scripts/client/flow.ts against them (tsc --noEmit)");
    run("npx", ["tsc", "--project", "scripts/client/tsconfig.json"]);
    say("running the main flow");
    run("npx", ["tsx", "scripts/client/flow.ts"], { ...process.env, API_URL: url });
    return "passed";
  } catch (err) {
    return `FAILED: ${err instanceof Error ? err.message : String(err)}`;
  } finally {
    if (dev) {
      say("stopping the dev server");
      await stop();
    }
  }
}

const outcome = await main();
say(outcome);
process.exit(outcome === "passed" ? 0 : 1);
