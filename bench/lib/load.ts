/**
 * One autocannon run and the numbers the bench keeps from it, plus the median over repeats.
 */
import autocannon from "autocannon";

/** A request unanswered after this many seconds counts as an error (a timeout). */
export const TIMEOUT_S = 30;

/** What one request of a scenario looks like; `next` makes a fresh one per request when present. */
export interface RequestSpec {
  method: "GET" | "POST";
  path: string;
  headers?: Record<string, string>;
  body?: string;
  /** Called for every request (e.g. a refresh token used only once, or the next login user). */
  next?: () => { headers?: Record<string, string>; body?: string };
}

/** The numbers kept from one run. */
export interface RunStats {
  /** Responses per second of the run's elapsed time. */
  rps: number;
  p50: number;
  p99: number;
  /** Socket errors and timeouts. */
  errors: number;
  /** Of the errors, requests unanswered after TIMEOUT_S. */
  timeouts: number;
  non2xx: number;
  status5xx: number;
  /** Responses received. */
  responses: number;
  /** The slowest response, ms. */
  maxLatency: number;
  /** Status codes other than 2xx, with counts (to tell a 401 from a 429). */
  otherStatuses: Record<string, number>;
}

/** autocannon's description of `request`, rebuilt per request when it has a `next`. */
function autocannonRequest(request: RequestSpec): autocannon.Request {
  return {
    method: request.method,
    path: request.path,
    headers: request.headers,
    body: request.body,
    ...(request.next
      ? {
          setupRequest: (req: autocannon.Request) => {
            const next = request.next?.() ?? {};
            return {
              ...req,
              headers: { ...request.headers, ...next.headers },
              body: next.body ?? request.body,
            };
          },
        }
      : {}),
  };
}

/**
 * Runs autocannon against `baseUrl` over `connections` connections for `durationS` seconds, or, with
 * `amount`, until exactly that many responses came back (nothing is left in flight).
 */
export async function runLoad(options: {
  baseUrl: string;
  request: RequestSpec;
  connections: number;
  durationS: number;
  amount?: number;
  /** Resolves once the server is done with what this run left behind. */
  drain: () => Promise<unknown>;
}): Promise<RunStats> {
  const result = await autocannon({
    url: options.baseUrl,
    connections: options.connections,
    ...(options.amount ? { amount: options.amount } : { duration: options.durationS }),
    timeout: TIMEOUT_S,
    requests: [autocannonRequest(options.request)],
  });
  // autocannon drops the requests still in flight at its deadline (or at a timeout), but the Worker
  // goes on serving them: let it finish, so the next run does not share the CPU with these leftovers.
  await options.drain();
  const responses = result["1xx"] + result["2xx"] + result["3xx"] + result["4xx"] + result["5xx"];
  const otherStatuses: Record<string, number> = {};
  for (const [code, { count = 0 }] of Object.entries(result.statusCodeStats ?? {})) {
    if (!code.startsWith("2")) otherStatuses[code] = count;
  }
  return {
    rps: result.duration > 0 ? responses / result.duration : 0,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors,
    timeouts: result.timeouts,
    non2xx: result.non2xx,
    status5xx: result["5xx"],
    responses,
    maxLatency: result.latency.max,
    otherStatuses,
  };
}

/**
 * Database round trips per request: sends exactly `requests` requests (so none is still in flight at
 * the end, as in a timed run), lets `settle` wait for work they left behind (a queue consumer), and
 * divides the growth of the gateway's counter by the responses.
 */
export async function probeRoundTrips(options: {
  baseUrl: string;
  request: RequestSpec;
  requests: number;
  countRoundTrips: () => Promise<number>;
  settle?: () => Promise<void>;
}): Promise<number> {
  const before = await options.countRoundTrips();
  const result = await autocannon({
    url: options.baseUrl,
    connections: 5,
    amount: options.requests,
    timeout: TIMEOUT_S,
    requests: [autocannonRequest(options.request)],
  });
  // Work a response left to waitUntil reaches the gateway a moment later.
  await new Promise((r) => setTimeout(r, 200));
  await options.settle?.();
  const after = await options.countRoundTrips();
  const responses = result["1xx"] + result["2xx"] + result["3xx"] + result["4xx"] + result["5xx"];
  return responses === 0 ? Number.NaN : (after - before) / responses;
}

/** The median of `xs` (the mean of the middle two for an even count). */
export function median(xs: number[]): number {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  if (sorted.length === 0) return Number.NaN;
  return sorted.length % 2
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/**
 * The median run of several: req/s, p50 and p99 are medians over the runs; errors, non-2xx and 5xx
 * are totals (a single error in any run is reported).
 */
export function medianOf(runs: RunStats[]): RunStats {
  const otherStatuses: Record<string, number> = {};
  for (const run of runs)
    for (const [code, n] of Object.entries(run.otherStatuses))
      otherStatuses[code] = (otherStatuses[code] ?? 0) + n;
  const sum = (pick: (r: RunStats) => number) => runs.reduce((n, r) => n + pick(r), 0);
  return {
    rps: median(runs.map((r) => r.rps)),
    p50: median(runs.map((r) => r.p50)),
    p99: median(runs.map((r) => r.p99)),
    errors: sum((r) => r.errors),
    timeouts: sum((r) => r.timeouts),
    non2xx: sum((r) => r.non2xx),
    status5xx: sum((r) => r.status5xx),
    responses: sum((r) => r.responses),
    maxLatency: Math.max(...runs.map((r) => r.maxLatency)),
    otherStatuses,
  };
}
