/**
 * Command-line options of `npm run bench` (pass them after `--`: `npm run bench -- --peer`).
 */
import { resolve } from "node:path";
import { parseArgs } from "node:util";

/** In the order they run: tasks last, as its queue consumer keeps working after the requests. */
export const SCENARIOS = ["health", "floor", "me", "login", "refresh", "users-list", "tasks"] as const;
export type ScenarioId = (typeof SCENARIOS)[number];

export interface BenchOptions {
  peer: boolean;
  peerDir: string;
  /** Seconds per measured run of the side-by-side comparison. */
  duration: number;
  /** Seconds of unrecorded warm-up per target before its first measured run. */
  warmup: number;
  repeats: number;
  connections: number;
  /** The load check: ours, limiter on, at this many connections for `loadDuration` s (0: skipped). */
  loadConnections: number;
  loadDuration: number;
  only: ScenarioId[];
  /** Measure through wrangler dev's proxy worker instead of at each Worker's own workerd. */
  viaProxy: boolean;
  /** LOG_LEVEL of the product's Workers. */
  logLevel: "debug" | "info" | "warn" | "error" | "silent";
  out: string;
  /** The command line as typed, for RESULTS.md. */
  command: string;
}

export const HELP = `npm run bench [-- options]

Starts the local stack (embedded PostgreSQL, the gateway, wrangler dev), seeds it and measures the API
with autocannon: each scenario gets a warm-up, repeated interleaved runs (A B B A) and the median;
then a load check at --load-connections. Prints the tables and writes bench/RESULTS.md.

  --peer                  also run the Better Auth peer (default and tuned) on the same database path,
                          interleaved with ours, and print the ratios ours/peer
  --peer-dir DIR          the peer's sources (default ../shared/peers/better-auth); copied, never changed
  --duration S            seconds per measured run (default 10)
  --warmup S              unrecorded warm-up per target (default 3)
  --repeats N             measured runs per target, interleaved (default 3)
  --connections N         connections of the side-by-side runs (default 20)
  --load-connections N    connections of the load check (default 100)
  --load-duration S       seconds of the load check per scenario; 0 skips it (default 20)
  --only IDS              comma-separated scenarios: ${SCENARIOS.join(", ")}
  --quick                 a smoke run: --duration 3 --warmup 1 --repeats 1 --load-duration 3
                          (explicit flags win)
  --via-proxy             send the measured requests through wrangler dev's proxy worker (the URL
                          wrangler prints) instead of to each Worker's own workerd
  --log-level LEVEL       the Workers' LOG_LEVEL (default warn: no access-log line per request)
  --out FILE              where the report goes (default bench/RESULTS.md)
  -h, --help
`;

const positive = (name: string, value: string | undefined, fallback: number, min = 1): number => {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min)
    throw new Error(`--${name} must be an integer >= ${min}, not ${value}`);
  return n;
};

/** Parses argv (without node and the script); throws with a readable message on bad input. */
export function parseOptions(argv: string[], repoRoot: string): BenchOptions | "help" {
  const { values } = parseArgs({
    args: argv,
    options: {
      peer: { type: "boolean", default: false },
      "peer-dir": { type: "string" },
      duration: { type: "string" },
      warmup: { type: "string" },
      repeats: { type: "string" },
      connections: { type: "string" },
      "load-connections": { type: "string" },
      "load-duration": { type: "string" },
      only: { type: "string" },
      quick: { type: "boolean", default: false },
      "via-proxy": { type: "boolean", default: false },
      "log-level": { type: "string", default: "warn" },
      out: { type: "string", default: "bench/RESULTS.md" },
      help: { type: "boolean", short: "h", default: false },
    },
    strict: true,
  });
  if (values.help) return "help";
  const quick = values.quick;
  const only = (values.only ?? SCENARIOS.join(","))
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  for (const id of only)
    if (!(SCENARIOS as readonly string[]).includes(id))
      throw new Error(`--only: unknown scenario ${id} (known: ${SCENARIOS.join(", ")})`);
  const logLevel = values["log-level"];
  if (!["debug", "info", "warn", "error", "silent"].includes(logLevel))
    throw new Error(`--log-level must be debug, info, warn, error or silent, not ${logLevel}`);
  return {
    peer: values.peer,
    peerDir: resolve(repoRoot, values["peer-dir"] ?? "../shared/peers/better-auth"),
    duration: positive("duration", values.duration, quick ? 3 : 10),
    warmup: positive("warmup", values.warmup, quick ? 1 : 3, 0),
    repeats: positive("repeats", values.repeats, quick ? 1 : 3),
    connections: positive("connections", values.connections, 20),
    loadConnections: positive("load-connections", values["load-connections"], 100),
    loadDuration: positive("load-duration", values["load-duration"], quick ? 3 : 20, 0),
    only: only as ScenarioId[],
    viaProxy: values["via-proxy"],
    logLevel: logLevel as BenchOptions["logLevel"],
    out: resolve(repoRoot, values.out),
    command: ["npm run bench", ...(argv.length ? ["--", ...argv] : [])].join(" "),
  };
}
