/**
 * `npm run bench [-- --peer] [-- --help]`: the API under load on this machine, from a clean clone.
 *
 * 1. The local stack as `npm run dev` has it: an embedded PostgreSQL (throw-away), the gateway (Neon
 *    HTTP + Upstash REST over the real Redis at REDIS_URL, default redis://127.0.0.1:6379, when one
 *    answers) and `wrangler dev`: the product's Worker twice (limiter on with limits raised out of
 *    reach, and limiter off), a bare Hono Worker for the middleware floor, and with `--peer` the
 *    Better Auth peer in its default and tuned variants on the same database path.
 * 2. Seeds 10,000 users, an admin, credits and refresh-token sessions (bench/lib/seed.ts).
 * 3. Per scenario: a warm-up per target, database round trips counted at the gateway, then
 *    `--repeats` measured runs interleaved (A B C D, D C B A, ...) and their median; ratios are taken
 *    only between numbers of this one run. Then the load check: ours, limiter on, at
 *    `--load-connections` for `--load-duration` s, where errors and 5xx must be zero.
 * 4. Prints the tables and writes bench/RESULTS.md. Ctrl-C or a failure stops everything it started.
 */
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import pg from "pg";
import { applyMigrations } from "../scripts/local/migrate.ts";
import { redisAnswers } from "../scripts/local/redis.ts";
import { type RequestSpec, TIMEOUT_S } from "./lib/load.ts";
import { describeMachine, loadAverageNow, machineLine } from "./lib/machine.ts";
import { type BenchOptions, HELP, parseOptions, type ScenarioId } from "./lib/options.ts";
import {
  betterAuthVersion,
  createPeerDatabase,
  PEER_DATABASE,
  peerSessionCookie,
  preparePeer,
  seedPeer,
  withApplicationName,
} from "./lib/peer.ts";
import { fixed, renderReport, renderScenario } from "./lib/report.ts";
import { runScenario, type Scenario, type ScenarioResult, type Target } from "./lib/scenario.ts";
import { BENCH_PASSWORD, seededUsername, seedOurs } from "./lib/seed.ts";
import {
  type GatewayProcess,
  interruptAll,
  REPO_ROOT,
  startGateway,
  startPostgres,
  startWorker,
  stopAll,
  type WorkerProcess,
} from "./lib/stack.ts";

const say = (line: string) => console.log(`[bench] ${line}`);

/** Every rate limit of the limiter-on Worker: the limiter checks each request against Redis, never refuses. */
const RAISED_LIMIT = "1000000000";
const RAISED_LIMITS = {
  RATE_LIMIT_IP_PER_MINUTE: RAISED_LIMIT,
  RATE_LIMIT_AUTH_PER_MINUTE: RAISED_LIMIT,
  RATE_LIMIT_USER_PER_HOUR: RAISED_LIMIT,
  RATE_LIMIT_EMAIL_PER_HOUR: RAISED_LIMIT,
  RATE_LIMIT_FAILED_LOGINS: RAISED_LIMIT,
};
/**
 * How long one Redis call may take before the limiter falls back (product default 500 ms). On a
 * starved two-core machine the local gateway can answer slower than that, and the fallback (memory,
 * or Postgres for the credential rules) would then be measured instead of Redis.
 */
const REDIS_TIMEOUT_MS = "5000";
const SEEDED_USERS = 10_000;
/** Accounts that take turns logging in (each login also writes their row), and that post tasks. */
const LOGIN_USERS = 50;
const TASK_USERS = 20;
/** Requests the round-trip probe sends per refresh target (see lib/scenario.ts). */
const PROBE_REQUESTS = 100;
/** Refresh tokens made per second of planned refresh load: far above what two cores serve. */
const REFRESH_TOKENS_PER_SECOND = 1500;

function cycle<T>(items: T[]): () => T {
  let i = 0;
  return () => items[i++ % items.length] as T;
}

const json = { "content-type": "application/json" };

/** The options, or exit: 0 after --help, 2 with the reason on bad usage. */
function optionsOrExit(): BenchOptions {
  let parsed: BenchOptions | "help";
  try {
    parsed = parseOptions(process.argv.slice(2), REPO_ROOT);
  } catch (error) {
    console.error(`npm run bench: ${error instanceof Error ? error.message : error} (see --help)`);
    process.exit(2);
  }
  if (parsed === "help") {
    console.log(HELP);
    process.exit(0);
  }
  return parsed;
}

async function main(options: BenchOptions): Promise<void> {
  const startedAt = new Date();
  const machine = describeMachine();
  runDir = mkdtempSync(join(tmpdir(), "auth-api-bench-"));
  const wants = (id: ScenarioId) => options.only.includes(id);
  const withPeer = options.peer && (wants("me") || wants("login"));
  say(machineLine(machine));
  say(`load average at start: ${machine.loadAverage}`);
  say(`scenarios: ${options.only.join(", ")}${withPeer ? " (with the peer)" : ""}; logs in ${runDir}`);
  if (options.peer && !withPeer)
    say("--peer: the peer has no counterpart in these scenarios (me, login); not started");

  // 1. The stack.
  const postgres = await startPostgres();
  await applyMigrations(postgres.url);
  const postgresVersion = await queryOne<{ server_version: string }>(postgres.url, "show server_version");
  say(
    `embedded PostgreSQL ${postgresVersion.server_version} on 127.0.0.1:${postgres.port} (throw-away, fsync off)`,
  );
  const redisUrl = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
  const redis = (await redisAnswers(redisUrl)) ? redisUrl : undefined;
  const gateway = await startGateway({ postgres, redisUrl: redis, runDir });
  const limiterBackend = redis
    ? `Upstash REST through the gateway to the Redis at ${redis}`
    : `in-memory, per isolate: no Redis answered at ${redisUrl}`;
  say(`gateway on ${gateway.url}; limiter-on Worker: ${limiterBackend}`);

  let peerInfo: { dir: string; version: string; databaseUrl: string } | undefined;
  if (withPeer) {
    const dir = join(REPO_ROOT, ".data/bench/peer-better-auth");
    preparePeer(options.peerDir, dir, say);
    const databaseUrl = await createPeerDatabase(postgres.url, dir);
    peerInfo = { dir, version: betterAuthVersion(dir), databaseUrl };
    say(`peer: better-auth ${peerInfo.version} from ${options.peerDir} (database ${PEER_DATABASE})`);
  }

  const jwtSecret = randomBytes(32).toString("base64url");
  const metricsKey = `bench:metrics:${randomBytes(4).toString("hex")}`;
  const ourDatabase = (app: string) => withApplicationName(postgres.url, app);
  const ourVars = (app: string, extra: Record<string, string>) => (url: string) => ({
    ENVIRONMENT: "development",
    LOG_LEVEL: options.logLevel,
    DATABASE_URL: ourDatabase(app),
    LOCAL_DB_GATEWAY: gateway.url,
    JWT_SECRET: jwtSecret,
    APP_URL: url,
    CORS_ORIGINS: "*",
    METRICS_REDIS_KEY: metricsKey,
    // Tasks cost a credit, so POST /tasks pays for its debit like a priced deployment.
    TASK_COST_ADD: "1",
    REDIS_TIMEOUT_MS,
    ...(redis
      ? { UPSTASH_REDIS_REST_URL: `${gateway.url}/upstash`, UPSTASH_REDIS_REST_TOKEN: gateway.upstashToken }
      : {}),
    ...extra,
  });
  // The API Worker and the assets-only Worker it reads its static files from, as `npm run dev` runs them.
  const ourConfig = [join(REPO_ROOT, "wrangler.toml"), join(REPO_ROOT, "static/wrangler.toml")];
  const peerVars = (app: string, variant: string) => (url: string) => ({
    BETTER_AUTH_URL: url,
    DATABASE_URL: withApplicationName(peerInfo?.databaseUrl ?? "", app),
    DB_DRIVER: "neon-http",
    NEON_HTTP_URL: `${gateway.url}/sql`,
    PG_WS_PROXY: "127.0.0.1:9", // unused with neon-http
    VARIANT: variant,
  });
  const logRow = wants("floor") && options.logLevel !== "info";
  say("starting wrangler dev for each Worker");
  const [on, off, log, bare, peer, peerTuned] = await Promise.all([
    startWorker({
      name: "ours-limiter-on",
      config: ourConfig,
      vars: ourVars("bench_on", { RATE_LIMIT_ENABLED: "true", ...RAISED_LIMITS }),
      runDir,
      viaProxy: options.viaProxy,
      readyPath: "/health",
      cwd: REPO_ROOT,
    }),
    startWorker({
      name: "ours-limiter-off",
      config: ourConfig,
      vars: ourVars("bench_off", { RATE_LIMIT_ENABLED: "false" }),
      runDir,
      viaProxy: options.viaProxy,
      readyPath: "/health",
      cwd: REPO_ROOT,
    }),
    logRow
      ? startWorker({
          name: "ours-log-info",
          config: ourConfig,
          vars: ourVars("bench_log", { RATE_LIMIT_ENABLED: "false", LOG_LEVEL: "info" }),
          runDir,
          viaProxy: options.viaProxy,
          readyPath: "/health",
          cwd: REPO_ROOT,
        })
      : undefined,
    wants("floor")
      ? startWorker({
          name: "bare-hono",
          config: join(REPO_ROOT, "bench/floor/wrangler.toml"),
          vars: () => ({}),
          runDir,
          viaProxy: options.viaProxy,
          readyPath: "/",
          cwd: REPO_ROOT,
        })
      : undefined,
    ...(["default", "tuned"] as const).map((variant) =>
      peerInfo
        ? startWorker({
            name: `peer-${variant}`,
            config: join(peerInfo.dir, "wrangler.toml"),
            vars: peerVars(`bench_peer_${variant}`, variant),
            runDir,
            viaProxy: options.viaProxy,
            readyPath: "/health",
            cwd: peerInfo.dir,
          })
        : undefined,
    ),
  ]);
  if (!on || !off) throw new Error("the product's Workers did not start");
  const workers = [on, off, log, bare, peer, peerTuned].filter((w): w is WorkerProcess => w !== undefined);
  const measured = await Promise.all(workers.map((w) => w.measureUrl()));
  say(
    `Workers up: ${workers
      .map(
        (w, i) =>
          `${w.name} ${w.url}${measured[i] !== w.url ? ` (measured at its workerd, ${measured[i]})` : ""}`,
      )
      .join(", ")}`,
  );

  // 2. Data.
  const refreshTargets = wants("refresh") ? 2 : 0;
  const refreshSeconds =
    refreshTargets * (options.warmup + options.repeats * options.duration) + options.loadDuration;
  const refreshSessions = wants("refresh")
    ? refreshSeconds * REFRESH_TOKENS_PER_SECOND + (refreshTargets + 1) * PROBE_REQUESTS
    : 0;
  const seed = await seedOurs({
    databaseUrl: postgres.url,
    baseUrl: off.url,
    users: SEEDED_USERS,
    taskUsers: TASK_USERS,
    refreshSessions,
    say,
  });
  let peerSeed: { loginEmails: string[]; cookies: Map<string, string> } | undefined;
  if (peerInfo && peer && peerTuned) {
    const { loginEmails } = await seedPeer({
      databaseUrl: peerInfo.databaseUrl,
      baseUrl: peer.url,
      users: LOGIN_USERS,
    });
    const cookies = new Map<string, string>();
    for (const w of [peer, peerTuned])
      cookies.set(w.name, await peerSessionCookie(w.url, loginEmails[0] as string));
    peerSeed = { loginEmails, cookies };
    say(`peer: ${loginEmails.length} accounts (one signed up through it, the rest copies of it by SQL)`);
  }

  // 3. Scenarios.
  const db = new pg.Client({ connectionString: postgres.url });
  // On Ctrl-C PostgreSQL (in our process group) gets the signal too and closes this connection.
  db.on("error", () => {});
  await db.connect();
  const unfinishedTasks = async () =>
    Number(
      (
        await db.query<{ n: string }>(
          "select count(*) as n from tasks where status in ('PENDING', 'STARTED', 'RETRY')",
        )
      ).rows[0]?.n ?? 0,
    );
  const notes: string[] = [];
  const settleTasks = async () => {
    const started = Date.now();
    const deadline = started + 180_000;
    let left = await unfinishedTasks();
    if (left > 0) say(`waiting for the queue consumer: ${left} tasks unfinished`);
    while (left > 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 500));
      left = await unfinishedTasks();
    }
    if (Date.now() - started > 1000)
      say(`queue consumer done after ${fixed((Date.now() - started) / 1000, 1)} s`);
    if (left > 0)
      notes.push(
        `${left} tasks were still unfinished 180 s after a tasks run; later runs shared the CPU with their consumer.`,
      );
  };
  const tokenCount = counterFor(gateway);
  const refreshTokens = seed.refreshTokens[Symbol.iterator]();
  let refreshExhausted = 0;
  const nextRefresh = () => {
    const next = refreshTokens.next();
    if (next.done) refreshExhausted++;
    return { body: JSON.stringify({ refresh_token: next.done ? "exhausted-bench-token" : next.value }) };
  };
  const limiterLabel = redis ? "ours, limiter on (Redis)" : "ours, limiter on (in-memory: no Redis)";
  const ours = (key: "on" | "off" | "log", request: RequestSpec): Target => {
    const worker = key === "on" ? on : key === "off" ? off : (log as WorkerProcess);
    const label =
      key === "on" ? limiterLabel : key === "off" ? "ours, limiter off" : "ours, limiter off, LOG_LEVEL=info";
    const app = key === "on" ? "bench_on" : key === "off" ? "bench_off" : "bench_log";
    return { key, label, worker, request, roundTrips: tokenCount(ourDatabase(app)) };
  };
  const peers = (path: string, request: (w: WorkerProcess) => RequestSpec): Target[] =>
    peerInfo && peer && peerTuned
      ? [
          {
            key: "peer",
            label: `peer default (${path})`,
            worker: peer,
            request: request(peer),
            roundTrips: tokenCount(withApplicationName(peerInfo.databaseUrl, "bench_peer_default")),
          },
          {
            key: "peerTuned",
            label: `peer tuned (${path})`,
            worker: peerTuned,
            request: request(peerTuned),
            roundTrips: tokenCount(withApplicationName(peerInfo.databaseUrl, "bench_peer_tuned")),
          },
        ]
      : [];
  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
  const loginBodies = Array.from({ length: LOGIN_USERS }, (_, i) => ({
    body: JSON.stringify({ username: seededUsername(i + 1), password: BENCH_PASSWORD }),
  }));
  const taskRequest: RequestSpec = {
    method: "POST",
    path: "/api/v1/tasks",
    headers: json,
    body: JSON.stringify({ type: "add", x: 2, y: 3 }),
    next: cycle(seed.taskTokens.map((t) => ({ headers: bearer(t) }))),
  };
  const meRequest: RequestSpec = {
    method: "GET",
    path: "/api/v1/users/me",
    headers: bearer(seed.ownerToken),
  };
  const loginRequest = (): RequestSpec => ({
    method: "POST",
    path: "/api/v1/auth/login",
    headers: json,
    next: cycle(loginBodies),
  });
  const refreshRequest: RequestSpec = {
    method: "POST",
    path: "/api/v1/auth/refresh",
    headers: json,
    next: nextRefresh,
  };

  const all: Scenario[] = [
    {
      id: "health",
      title: "GET /health",
      notes: [
        "One `select 1` through the gateway; with Upstash configured it also reports the limiter's state.",
      ],
      targets: [
        ours("on", { method: "GET", path: "/health" }),
        ours("off", { method: "GET", path: "/health" }),
      ],
      ratios: [],
    },
    {
      id: "floor",
      title: "GET / (the middleware floor)",
      notes: [
        "Ours: every global middleware (request id, config, logger, access log, CORS, secure headers, body limit, rate limit) and the API-info route, no database. " +
          "Bare: `bench/floor/`, one Hono route and nothing else, same wrangler, compatibility date and flags.",
      ],
      targets: [
        ours("on", { method: "GET", path: "/" }),
        ours("off", { method: "GET", path: "/" }),
        ...(log ? [ours("log", { method: "GET", path: "/" })] : []),
        ...(bare
          ? [
              {
                key: "bare" as const,
                label: "bare Hono (bench/floor)",
                worker: bare,
                request: { method: "GET" as const, path: "/" },
              },
            ]
          : []),
      ],
      ratios: [
        { num: "off", den: "bare", min: 0.75 },
        { num: "on", den: "bare" },
        ...(log ? [{ num: "log" as const, den: "bare" as const }] : []),
      ],
    },
    {
      id: "me",
      title: "GET /api/v1/users/me (authenticated read)",
      notes: [
        "Ours: one account, one access token (the session gate reads the session and the user in the route's one statement). " +
          "Peer: its `GET /me` (`auth.api.getSession`) with one session cookie.",
      ],
      targets: [
        ours("on", meRequest),
        ours("off", meRequest),
        ...peers("GET /me", (w) => ({
          method: "GET",
          path: "/me",
          headers: { cookie: peerSeed?.cookies.get(w.name) ?? "" },
        })),
      ],
      ratios: [
        { num: "on", den: "peer", min: 1.5 },
        { num: "on", den: "peerTuned", min: 1.0 },
        { num: "off", den: "peer", min: 2 },
        { num: "off", den: "peerTuned", min: 1.3 },
      ],
      latencyCheck: ["on", "off"],
    },
    {
      id: "login",
      title: "POST /api/v1/auth/login",
      notes: [
        `Ours: ${LOGIN_USERS} accounts take turns (JSON body), every request a successful login (one password verification, a new session). ` +
          `Peer: \`POST /api/auth/sign-in/email\` for ${LOGIN_USERS} accounts in turn, with the app's Origin as a browser sends it.`,
      ],
      targets: [
        ours("on", loginRequest()),
        ours("off", loginRequest()),
        ...peers("POST /api/auth/sign-in/email", (w) => ({
          method: "POST",
          path: "/api/auth/sign-in/email",
          headers: { ...json, origin: w.url },
          next: cycle(
            (peerSeed?.loginEmails ?? []).map((email) => ({
              body: JSON.stringify({ email, password: BENCH_PASSWORD }),
            })),
          ),
        })),
      ],
      probeRequests: 20,
      slow: { requestsPerConnection: 2 },
      ratios: [
        { num: "on", den: "peer", min: 0.9 },
        { num: "off", den: "peer", min: 0.9 },
        { num: "on", den: "peerTuned" },
        { num: "off", den: "peerTuned" },
      ],
    },
    {
      id: "refresh",
      title: "POST /api/v1/auth/refresh",
      notes: [
        `Refresh tokens are single-use, so this is many sessions, each used once: ${seed.refreshTokens.length.toLocaleString("en-US")} sessions were seeded by SQL ` +
          "(random token, its SHA-256 stored as a login stores it) and every request presents a token never presented before, " +
          "so every request is a full rotation (new pair, old hash retired) and none is a replay or a grace-window repeat. " +
          "Chained rotation (each connection presenting the token it just got) would cost the same statement per request.",
      ],
      targets: [ours("on", refreshRequest), ours("off", refreshRequest)],
      ratios: [],
    },
    {
      id: "users-list",
      title: "GET /api/v1/users?limit=50 (admin list)",
      notes: [
        `${SEEDED_USERS.toLocaleString("en-US")} seeded users; an admin's token; the first page of 50 and the total, newest first.`,
      ],
      targets: [
        ours("on", { method: "GET", path: "/api/v1/users?limit=50", headers: bearer(seed.adminToken) }),
        ours("off", { method: "GET", path: "/api/v1/users?limit=50", headers: bearer(seed.adminToken) }),
      ],
      ratios: [],
    },
    {
      id: "tasks",
      title: "POST /api/v1/tasks",
      notes: [
        `\`{"type": "add", "x": 2, "y": 3}\` from ${TASK_USERS} accounts in turn, each task costing 1 credit (TASK_COST_ADD=1; balances granted by SQL). ` +
          "The queue consumer runs the tasks in the same workerd; after every run the bench waits until no task is unfinished, " +
          "so no run shares the CPU with the previous run's consumer.",
      ],
      targets: [ours("on", taskRequest), ours("off", taskRequest)],
      ratios: [],
      settle: settleTasks,
      roundTripsNote: "(incl. the consumer's)",
    },
  ];

  const results: ScenarioResult[] = [];
  for (const scenario of all.filter((s) => wants(s.id))) {
    const result = await runScenario(scenario, {
      options,
      limiterOn: on,
      redisTimeoutMs: REDIS_TIMEOUT_MS,
      say,
    });
    results.push(result);
    console.log(`\n${renderScenario(result, options)}\n`);
  }
  if (refreshExhausted > 0)
    notes.push(
      `The seeded refresh tokens ran out: ${refreshExhausted} refresh requests sent a dead token (401s above).`,
    );
  await db.end();

  // 4. Report.
  const finishedAt = new Date();
  const report = renderReport({
    options,
    results,
    settings: settingsLines({
      options,
      limiterBackend,
      redis: Boolean(redis),
      direct: workers.every((w) => !w.throughProxy),
    }),
    notes,
    machineLine: `${machineLine(machine)}; PostgreSQL ${postgresVersion.server_version}${peerInfo ? `; better-auth ${peerInfo.version}` : ""}`,
    loadAverages: [machine.loadAverage, loadAverageNow()],
    startedAt,
    finishedAt,
  });
  console.log(`\n${report}`);
  writeFileSync(options.out, report);
  // Tables padded as the repository's formatter (Biome) writes them, so `npm run lint` passes on the
  // committed report; a file outside the repository is left as written.
  if (!relative(REPO_ROOT, options.out).startsWith(".."))
    spawnSync(
      process.execPath,
      [join(REPO_ROOT, "node_modules/@biomejs/biome/bin/biome"), "format", "--write", options.out],
      {
        cwd: REPO_ROOT,
        stdio: "ignore",
      },
    );
  say(`wrote ${relative(process.cwd(), options.out)}`);
  await deleteMetricsHash(gateway, metricsKey, Boolean(redis));
}

async function queryOne<T extends pg.QueryResultRow>(url: string, sql: string): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(sql)).rows[0] as T;
  } finally {
    await client.end();
  }
}

/** Round trips so far for one connection string: HTTP queries plus WebSocket sessions (transactions). */
function counterFor(gateway: GatewayProcess) {
  return (connectionString: string) => async () => {
    const s = await gateway.stats(connectionString);
    return s.sql_requests + s.ws_connections;
  };
}

/** The bench's metrics hash in Redis, through the gateway's Upstash emulation. */
async function deleteMetricsHash(gateway: GatewayProcess, key: string, redis: boolean): Promise<void> {
  if (!redis) return;
  await fetch(`${gateway.url}/upstash`, {
    method: "POST",
    headers: { authorization: `Bearer ${gateway.upstashToken}` },
    body: JSON.stringify(["DEL", key]),
  }).catch(() => {});
}

/** How the numbers were made, for the head of RESULTS.md. */
function settingsLines(input: {
  options: BenchOptions;
  limiterBackend: string;
  redis: boolean;
  /** Whether every Worker was measured at its own workerd (WorkerProcess.measureUrl). */
  direct: boolean;
}): string[] {
  const { options } = input;
  const lines = [
    `Runs: ${options.connections} connections, ${options.repeats} × ${options.duration} s per target after a ${options.warmup} s warm-up, ` +
      "interleaved (A B C D, D C B A, ...); each table cell is the median over the runs (errors and non-2xx: totals). " +
      `Load check: ours with the limiter on, ${options.loadConnections} connections, ${options.loadDuration} s per scenario. ` +
      "Login runs (and its load check) are not timed but fixed: 2 logins per connection run to completion (req/s = logins / elapsed), " +
      "after a warm-up of 1 per connection, because concurrent logins interleave their password hashes and answer in waves that a deadline would cut. " +
      "After every run the bench waits until the Worker's processes are idle (under 10 % of a core for a second), " +
      "so requests autocannon dropped at its deadline finish before the next run starts. " +
      `A request unanswered after ${TIMEOUT_S} s counts as an error (a timeout).`,
    `Rate limiter: "limiter on" is the product's limiter (${input.limiterBackend}) with every limit raised to ` +
      `${Number(RAISED_LIMIT).toLocaleString("en-US")} (${Object.keys(RAISED_LIMITS).join(", ")}), so it counts every request and refuses none, ` +
      `and REDIS_TIMEOUT_MS=${REDIS_TIMEOUT_MS} (default 500) so a slow answer from the CPU-starved local gateway does not put it on its fallback; ` +
      '"limiter off" is RATE_LIMIT_ENABLED=false.' +
      (input.redis ? "" : " **No Redis answered, so the limiter-on numbers are the in-memory fallback's.**"),
    `The product's Workers run with LOG_LEVEL=${options.logLevel}` +
      (options.logLevel === "info"
        ? " (one access-log line per request)."
        : " (no access-log line per request: under wrangler dev every console line is piped to and parsed by wrangler's Node process, " +
          "a cost Workers Logs does not put on a deployed Worker; the floor table has a LOG_LEVEL=info row)."),
    "Stack: embedded PostgreSQL (throw-away cluster, fsync off), the local gateway (Neon SQL-over-HTTP; Upstash REST), " +
      "every Worker in its own `wrangler dev` (workerd) on the same wrangler. " +
      (input.direct
        ? "Measured requests go straight to each Worker's own workerd (Miniflare's entry worker in front of the Worker, as the edge is in a deployment), " +
          "past wrangler dev's proxy worker: that second workerd exists for live reload, copies every request and response and calls into wrangler's Node process, " +
          "and costs about as much CPU per request as a small Worker, the same for every Worker, so with it in the path the ratios measure wrangler as much as the Workers (bench/lib/stack.ts, `directUrl`). "
        : options.viaProxy
          ? "Measured requests go through wrangler dev's proxy worker (`--via-proxy`): a second workerd in front of every Worker, the same for all, which costs about as much CPU per request as a small Worker. "
          : "Measured requests go through wrangler dev's proxy worker (each Worker's own workerd could not be found: that needs Linux's /proc). ") +
      "DB round trips per request: counted at the gateway " +
      "(its `/__gateway/stats`, per connection string) over 100 requests per target, 20 for login.",
  ];
  if (options.peer)
    lines.push(
      `Peer: Better Auth on a Hono Worker (\`${relative(REPO_ROOT, options.peerDir) || options.peerDir}\`), \`DB_DRIVER=neon-http\` ` +
        "through the same gateway to its own database in the same PostgreSQL, default and `VARIANT=tuned` (jwt header off, joins on), " +
        "no rate limiting (Better Auth enables it only in production).",
    );
  return lines;
}

let stopping = false;
/** Where the child processes' logs go; deleted after a successful run, kept otherwise. */
let runDir = "";

async function shutdown(code: number): Promise<never> {
  if (!stopping) {
    stopping = true;
    await stopAll(say);
    if (code === 0) rmSync(runDir, { recursive: true, force: true });
    else if (runDir) say(`logs kept in ${runDir}`);
  }
  process.exit(code);
}

for (const signal of ["SIGINT", "SIGTERM"] as const)
  process.on(signal, () => {
    if (stopping) return;
    say(`${signal}: stopping everything the bench started`);
    interruptAll();
    void shutdown(130);
  });

main(optionsOrExit()).then(
  () => shutdown(0),
  async (error: unknown) => {
    console.error(`[bench] failed: ${error instanceof Error ? (error.stack ?? error.message) : error}`);
    await shutdown(1);
  },
);
