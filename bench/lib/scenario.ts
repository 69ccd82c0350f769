/**
 * A scenario: one request shape against several Workers (ours with the limiter on and off, the bare
 * floor, the peer), measured side by side so their ratios come from the same minutes.
 */
import { readFileSync } from "node:fs";
import { medianOf, probeRoundTrips, type RequestSpec, type RunStats, runLoad } from "./load.ts";
import type { BenchOptions, ScenarioId } from "./options.ts";
import { fixed, otherStatusesLine, type Ratio, type Row, rate } from "./report.ts";
import type { WorkerProcess } from "./stack.ts";

/** Requests sent to count round trips (all complete, none in flight). */
const PROBE_REQUESTS = 100;

/** One Worker under one request shape. */
export interface Target {
  key: "on" | "off" | "log" | "bare" | "peer" | "peerTuned";
  label: string;
  worker: WorkerProcess;
  request: RequestSpec;
  /** The gateway's count of database round trips for this Worker so far; none for no database. */
  roundTrips?: () => Promise<number>;
}

export interface Scenario {
  id: ScenarioId;
  title: string;
  /** What is sent and why, printed above the table. */
  notes: string[];
  targets: Target[];
  ratios: { num: Target["key"]; den: Target["key"]; min?: number }[];
  /** Targets whose p99 must stay within 3× their p50. */
  latencyCheck?: Target["key"][];
  /** Waits until work the requests left behind (queue consumer) is done, after every run. */
  settle?: () => Promise<void>;
  /** Requests sent to count round trips (default 100). */
  probeRequests?: number;
  /**
   * For a slow, CPU-bound route (login): each measured run is this many requests per connection, run
   * to completion (req/s = requests / elapsed), and the warm-up one request per connection, instead
   * of timed runs. Concurrent logins interleave their password hashes, so answers come in waves of
   * about one per connection; a timed run would cut waves at its deadline and leave hashing behind.
   */
  slow?: { requestsPerConnection: number };
  /** Said after the round-trip count, e.g. that it includes the queue consumer's statements. */
  roundTripsNote?: string;
}

export interface ScenarioResult {
  scenario: Scenario;
  rows: Row[];
  ratios: Ratio[];
  load?: RunStats;
  /** Lines for under the table (non-2xx answers seen, limiter fallbacks). */
  remarks: string[];
  /** How long a measured run was: "10 s", or "40 requests" for a slow route. */
  runSize: string;
  /** The same for the load check: "20 s", or "200 requests" for a slow route. */
  loadSize: string;
}

function describeRun(s: RunStats): string {
  return `${rate(s.rps)} req/s, p50 ${s.p50} ms, p99 ${s.p99} ms, ${s.errors} errors, ${s.non2xx} non-2xx`;
}

/** How often `needle` occurs in `file` (0 when it cannot be read). */
function occurrences(file: string, needle: string): number {
  try {
    return readFileSync(file, "utf8").split(needle).length - 1;
  } catch {
    return 0;
  }
}

/** What the product logs (at warn) when a Redis call fails or exceeds REDIS_TIMEOUT_MS. */
const FALLBACK_LOG = "rate limiter: redis unavailable";

/**
 * Runs one scenario: a warm-up per target, the round-trip probe per target, `repeats` measured runs
 * interleaved (A B C D, then D C B A, ...), the medians and ratios, then the load check on the
 * limiter-on Worker. After every run it waits until the Worker is idle and the scenario settled.
 */
export async function runScenario(
  scenario: Scenario,
  context: {
    options: BenchOptions;
    /** The limiter-on Worker: its log tells whether the limiter fell back from Redis. */
    limiterOn: WorkerProcess;
    redisTimeoutMs: string;
    say: (line: string) => void;
  },
): Promise<ScenarioResult> {
  const { options, limiterOn, say } = context;
  const { targets } = scenario;
  const fallbacksBefore = occurrences(limiterOn.logFile, FALLBACK_LOG);
  say(`── ${scenario.title}: ${targets.map((t) => t.label).join(" | ")}`);
  const runOnce = async (target: Target, connections: number, durationS: number, amount?: number) => {
    const stats = await runLoad({
      baseUrl: await target.worker.measureUrl(),
      request: target.request,
      connections,
      durationS,
      amount,
      drain: async () => {
        const waited = await target.worker.waitUntilIdle();
        if (waited > 3) say(`${scenario.id} · ${target.label} · busy ${fixed(waited, 1)} s after the run`);
      },
    });
    await scenario.settle?.();
    return stats;
  };
  const amount = scenario.slow && options.connections * scenario.slow.requestsPerConnection;
  const loadAmount = scenario.slow && options.loadConnections * scenario.slow.requestsPerConnection;
  if (options.warmup > 0)
    for (const target of targets) {
      const warmupAmount = scenario.slow && options.connections;
      await runOnce(target, options.connections, options.warmup, warmupAmount);
      say(
        `${scenario.id} · ${target.label} · warmed up (${warmupAmount ? `${warmupAmount} requests` : `${options.warmup} s`})`,
      );
    }
  const roundTrips = new Map<Target, number>();
  for (const target of targets) {
    if (!target.roundTrips) continue;
    const perRequest = await probeRoundTrips({
      baseUrl: await target.worker.measureUrl(),
      request: target.request,
      requests: scenario.probeRequests ?? PROBE_REQUESTS,
      countRoundTrips: target.roundTrips,
      settle: scenario.settle,
    });
    roundTrips.set(target, perRequest);
  }
  const runs = new Map<Target, RunStats[]>(targets.map((t) => [t, []]));
  for (let r = 0; r < options.repeats; r++) {
    // A B C D, then D C B A: each target meets the same drift on average.
    const order = r % 2 === 0 ? targets : [...targets].reverse();
    for (const target of order) {
      const stats = await runOnce(target, options.connections, options.duration, amount);
      runs.get(target)?.push(stats);
      say(`${scenario.id} · ${target.label} · run ${r + 1}/${options.repeats}: ${describeRun(stats)}`);
    }
  }
  const rows: Row[] = targets.map((target) => ({
    label: target.label,
    stats: medianOf(runs.get(target) ?? []),
    roundTrips: roundTrips.get(target),
    roundTripsNote: scenario.roundTripsNote,
  }));
  const byKey = (key: Target["key"]) => rows[targets.findIndex((t) => t.key === key)];
  const ratios: Ratio[] = [];
  for (const { num, den, min } of scenario.ratios) {
    const [a, b] = [byKey(num), byKey(den)];
    if (a && b) ratios.push({ label: `${a.label} / ${b.label}`, value: a.stats.rps / b.stats.rps, min });
  }
  let load: RunStats | undefined;
  const loadTarget = targets.find((t) => t.key === "on");
  if (options.loadDuration > 0 && loadTarget) {
    load = await runOnce(loadTarget, options.loadConnections, options.loadDuration, loadAmount);
    say(`${scenario.id} · load check, ${options.loadConnections} connections: ${describeRun(load)}`);
  }
  const remarks: string[] = [];
  const statuses = otherStatusesLine(rows);
  if (statuses) remarks.push(statuses);
  const fallbacks = occurrences(limiterOn.logFile, FALLBACK_LOG) - fallbacksBefore;
  if (fallbacks > 0)
    remarks.push(
      `The limiter-on Worker fell back from Redis ${fallbacks} time(s) during this scenario ` +
        `(a Redis call failed or took over REDIS_TIMEOUT_MS=${context.redisTimeoutMs}; each fallback lasts 5 s).`,
    );
  return {
    scenario,
    rows,
    ratios,
    load,
    remarks,
    runSize: amount ? `${amount} requests` : `${options.duration} s`,
    loadSize: loadAmount ? `${loadAmount} requests` : `${options.loadDuration} s`,
  };
}
