/**
 * The bench's tables, as Markdown: printed as they are measured and written to bench/RESULTS.md.
 */
import { type RunStats, TIMEOUT_S } from "./load.ts";
import type { BenchOptions } from "./options.ts";
import type { ScenarioResult } from "./scenario.ts";

export interface Row {
  label: string;
  stats: RunStats;
  /** Database round trips per request counted at the gateway; undefined: not counted (no database). */
  roundTrips: number | undefined;
  roundTripsNote?: string;
}

export interface Ratio {
  label: string;
  value: number;
  /** The issue's target for it, when it has one. */
  min?: number;
}

export interface Check {
  label: string;
  measured: string;
  target: string;
  met: boolean;
}

const fixed = (n: number, digits = 0) => (Number.isFinite(n) ? n.toFixed(digits) : "n/a");
/** Requests per second: whole numbers, one decimal below 100 (slow routes such as login). */
const rate = (n: number) => fixed(n, n < 100 ? 1 : 0);
/** "3", or "3 (2 timeouts)" when some of the errors were requests unanswered after TIMEOUT_S. */
const errorsCell = (s: RunStats) =>
  s.timeouts > 0 ? `${s.errors} (${s.timeouts} timeouts > ${TIMEOUT_S} s)` : String(s.errors);

/** A Markdown table with the columns right-aligned except the first. */
export function table(header: string[], rows: string[][]): string {
  const align = header.map((_, i) => (i === 0 ? "---" : "---:"));
  return [header, align, ...rows].map((cells) => `| ${cells.join(" | ")} |`).join("\n");
}

export function statsTable(rows: Row[]): string {
  const body = rows.map((r) => [
    r.label,
    rate(r.stats.rps),
    fixed(r.stats.p50),
    fixed(r.stats.p99),
    errorsCell(r.stats),
    String(r.stats.non2xx),
    String(r.stats.status5xx),
    r.roundTrips === undefined
      ? "–"
      : `${fixed(r.roundTrips, 2)}${r.roundTripsNote ? ` ${r.roundTripsNote}` : ""}`,
  ]);
  return table(
    ["target", "req/s", "p50 ms", "p99 ms", "errors", "non-2xx", "5xx", "DB round trips/req"],
    body,
  );
}

/** Status codes other than 2xx seen in these rows, e.g. "ours: 401 ×3", for the line under a table. */
export function otherStatusesLine(rows: Row[]): string | undefined {
  const parts = rows
    .filter((r) => Object.keys(r.stats.otherStatuses).length > 0)
    .map(
      (r) =>
        `${r.label}: ${Object.entries(r.stats.otherStatuses)
          .map(([code, n]) => `${code} ×${n}`)
          .join(", ")}`,
    );
  return parts.length ? `Non-2xx answers: ${parts.join("; ")}.` : undefined;
}

export function ratioLine(ratio: Ratio): string {
  const target =
    ratio.min === undefined
      ? ""
      : ` (target ≥ ${ratio.min}×: ${ratio.value >= ratio.min ? "met" : "NOT met"})`;
  const value = Number.isFinite(ratio.value) ? `${fixed(ratio.value, 2)}×` : "n/a (no responses)";
  return `- ${ratio.label}: **${value}**${target}`;
}

export function checksTable(checks: Check[]): string {
  return table(
    ["check", "measured", "target", "met"],
    checks.map((c) => [c.label, c.measured, c.target, c.met ? "yes" : "**no**"]),
  );
}

export { fixed, rate };

/** One scenario's section: what was sent, the table, remarks and the ratios. */
export function renderScenario(result: ScenarioResult, options: BenchOptions): string {
  const { scenario, rows, ratios } = result;
  const runs = `${options.connections} connections, ${options.repeats} × ${result.runSize} per target, median.`;
  const lines = [`### ${scenario.title}`, "", ...scenario.notes, runs, "", statsTable(rows)];
  for (const remark of result.remarks) lines.push("", remark);
  if (ratios.length)
    lines.push("", `Ratios of req/s (${options.connections} connections):`, ...ratios.map(ratioLine));
  return lines.join("\n");
}

/** The issue's targets, each with what this run measured. */
function collectChecks(results: ScenarioResult[], options: BenchOptions): Check[] {
  const checks: Check[] = [];
  for (const result of results) {
    const { scenario, rows, ratios, load } = result;
    for (const ratio of ratios)
      if (ratio.min !== undefined)
        checks.push({
          label: `${scenario.title}: ${ratio.label}`,
          measured: `${fixed(ratio.value, 2)}×`,
          target: `≥ ${ratio.min}×`,
          met: ratio.value >= ratio.min,
        });
    for (const key of scenario.latencyCheck ?? []) {
      const row = rows[scenario.targets.findIndex((t) => t.key === key)];
      if (row)
        checks.push({
          label: `${scenario.title}: ${row.label}, p99 / p50`,
          measured: `${fixed(row.stats.p99 / row.stats.p50, 2)}× (${row.stats.p50} / ${row.stats.p99} ms)`,
          target: "≤ 3×",
          met: row.stats.p99 <= 3 * row.stats.p50,
        });
    }
    if (load)
      checks.push({
        label: `${scenario.title}: ${options.loadConnections} connections, ${result.loadSize}`,
        measured: `${errorsCell(load)} errors, ${load.status5xx} 5xx in ${load.responses} responses`,
        target: "0 errors, 0 5xx (and answers)",
        met: load.errors === 0 && load.status5xx === 0 && load.responses > 0,
      });
  }
  return checks;
}

/** The whole of bench/RESULTS.md. */
export function renderReport(input: {
  options: BenchOptions;
  results: ScenarioResult[];
  /** Bullet lines (without "- ") saying how the numbers were made. */
  settings: string[];
  notes: string[];
  machineLine: string;
  loadAverages: [string, string];
  startedAt: Date;
  finishedAt: Date;
}): string {
  const { options, results } = input;
  const minutes = (input.finishedAt.getTime() - input.startedAt.getTime()) / 60_000;
  const loadRows = results
    .filter((r) => r.load)
    .map(({ scenario, load, loadSize }) => {
      const s = load as RunStats;
      return [
        scenario.title,
        loadSize,
        String(s.responses),
        rate(s.rps),
        String(s.p50),
        String(s.p99),
        errorsCell(s),
        String(s.non2xx),
        String(s.status5xx),
      ];
    });
  const out = [
    "# Benchmark results",
    "",
    'Written by `npm run bench` (bench/run.ts); see README "Benchmarks". Absolute numbers on a shared',
    "machine drift by tens of percent within minutes: compare only the ratios, which are taken between",
    "runs interleaved in this one session.",
    "",
    `- Command: \`${options.command}\``,
    `- Date: ${input.startedAt.toISOString().replace(/\.\d+Z$/, "Z")} (took ${fixed(minutes, 1)} min)`,
    `- Machine: ${input.machineLine}`,
    `- Load average (1/5/15 min) at start: ${input.loadAverages[0]}; at the end: ${input.loadAverages[1]}`,
    ...input.settings.map((line) => `- ${line}`),
    "",
    "## Targets",
    "",
    checksTable(collectChecks(results, options)),
    "",
    "## Scenarios",
    "",
    ...results.flatMap((r) => [renderScenario(r, options), ""]),
  ];
  if (loadRows.length)
    out.push(
      `## Load check (ours, limiter on, ${options.loadConnections} connections)`,
      "",
      table(
        ["scenario", "run", "responses", "req/s", "p50 ms", "p99 ms", "errors", "non-2xx", "5xx"],
        loadRows,
      ),
      "",
    );
  if (input.notes.length) out.push("## Notes", "", ...input.notes.map((n) => `- ${n}`), "");
  return out.join("\n");
}
