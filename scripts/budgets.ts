/**
 * `npm run budgets`: builds the Worker exactly as `wrangler deploy` would upload it (`--dry-run`),
 * then
 *
 * 1. sums the gzip -9 size of every uploaded module (script, text, wasm; not source maps; static
 *    assets are uploaded apart) and compares it with the ceiling in scripts/budgets/ceilings.ts;
 * 2. prints the 15 largest contributors (npm package or src/ folder, raw minified bytes from
 *    esbuild's metafile);
 * 3. checks that zod's locale alias (wrangler.toml `[alias]`) caught zod alone and still applies;
 * 4. measures the Worker's start-up CPU with `wrangler check startup` (local workerd, a V8 CPU
 *    profile of the module evaluation) and reports it: a timing, never a ceiling.
 *
 * Exits 1 naming each exceeded budget (`budget exceeded: worker bundle gzip 290.1 KiB > 275 KiB`).
 *
 *   npm run budgets                                   # the ceilings in scripts/budgets/ceilings.ts
 *   npm run budgets -- --worker-gzip-kib 200          # or BUDGET_WORKER_GZIP_KIB=200
 *   npm run budgets -- --startup-runs 0 --outdir /tmp/b   # skip start-up profiling; other build dir
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import { flagValue, resolveCeilings } from "./budgets/ceilings.ts";
import {
  type CpuProfile,
  contributors,
  exceededBudgets,
  kib,
  type Metafile,
  type StartupSummary,
  summarizeStartupProfile,
  uploadedModules,
  zodLocaleProblems,
} from "./budgets/measure.ts";

const TOP = 15;
const argv = process.argv.slice(2);
const ceilings = resolveCeilings(process.env, argv);
const outdir = resolve(flagValue(argv, "--outdir") ?? "dist/budgets");
const startupRuns = Number(flagValue(argv, "--startup-runs") ?? 3);
if (!Number.isInteger(startupRuns) || startupRuns < 0)
  throw new Error("--startup-runs must be a whole number >= 0");
const modulesDir = join(outdir, "worker");
const bundleFile = join(outdir, "worker.bundle");
const metafileFile = join(outdir, "meta.json");

function wrangler(args: string[]): string {
  try {
    return execFileSync("npx", ["--no-install", "wrangler", ...args], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, WRANGLER_SEND_METRICS: "false" },
    });
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: string; stderr?: string };
    console.error(`wrangler ${args[0]} ${args[1] ?? ""} failed:\n${stdout ?? ""}${stderr ?? ""}`);
    process.exit(2);
  }
}

const n = (bytes: number) => bytes.toLocaleString("en-US");
const pad = (s: string, width: number) => s.padEnd(width);
const padStart = (s: string, width: number) => s.padStart(width);

// 1. Build: the modules (--outdir), the upload as wrangler sends it (--outfile) and esbuild's metafile.
// Only what this script writes is removed (--outdir may name a directory that holds other things).
rmSync(modulesDir, { recursive: true, force: true });
mkdirSync(outdir, { recursive: true });
wrangler([
  "deploy",
  "--dry-run",
  "--outdir",
  modulesDir,
  "--outfile",
  bundleFile,
  "--metafile",
  metafileFile,
]);
const modules = uploadedModules(modulesDir);
const metafile = JSON.parse(readFileSync(metafileFile, "utf8")) as Metafile;
const gzipTotal = modules.reduce((sum, m) => sum + m.gzipBytes, 0);
const rawTotal = modules.reduce((sum, m) => sum + m.bytes, 0);

console.log(`Worker upload (wrangler deploy --dry-run; ${modulesDir}):`);
const width = Math.max(...modules.map((m) => m.name.length), "total".length) + 2;
for (const m of modules) {
  console.log(
    `  ${pad(m.name, width)}${padStart(n(m.bytes), 12)} bytes  ${padStart(kib(m.gzipBytes), 11)} gzip -9`,
  );
}
console.log(
  `  ${pad("total", width)}${padStart(n(rawTotal), 12)} bytes  ${padStart(kib(gzipTotal), 11)} gzip -9  (ceiling ${ceilings.workerBundleGzipKiB} KiB)`,
);

// 2. Where the bytes come from.
const top = contributors(metafile, modules).slice(0, TOP);
const topWidth = Math.max(...top.map((c) => c.name.length)) + 2;
console.log(`\nTop ${TOP} contributors (raw minified bytes in the upload, before compression):`);
for (const [i, c] of top.entries()) {
  const share = ((100 * c.bytes) / rawTotal).toFixed(1);
  console.log(
    `  ${padStart(String(i + 1), 2)}. ${pad(c.name, topWidth)}${padStart(n(c.bytes), 10)}  ${padStart(share, 5)}%`,
  );
}

// 3. zod's locales.
const localeProblems = zodLocaleProblems(metafile);

// 4. Start-up CPU, reported only.
if (startupRuns > 0) {
  const runs: StartupSummary[] = [];
  for (let i = 0; i < startupRuns; i++) {
    const profileFile = join(outdir, `startup-${i + 1}.cpuprofile`);
    wrangler(["check", "startup", "--worker", bundleFile, "--outfile", profileFile]);
    runs.push(summarizeStartupProfile(JSON.parse(readFileSync(profileFile, "utf8")) as CpuProfile));
  }
  const active = runs.map((r) => r.activeMs).sort((a, b) => a - b);
  const median = active[Math.floor(active.length / 2)] as number;
  const gc = Math.min(...runs.map((r) => r.garbageCollectionMs));
  // The profiler samples wall-clock time: a busy machine inflates every run, never deflates one,
  // so the least disturbed run (the minimum) is the estimate; the median and maximum show the noise.
  console.log(
    `\nStart-up CPU (wrangler check startup: local workerd evaluating the modules; reported, not a budget):\n` +
      `  active ${active[0]} ms in the least disturbed of ${runs.length} runs (median ${median}, max ${active[active.length - 1]}; ` +
      `garbage collection ${gc} ms); profiles in ${outdir}`,
  );
}

// Verdict.
const exceeded = [...exceededBudgets({ workerBundleGzipBytes: gzipTotal }, ceilings), ...localeProblems];
if (exceeded.length > 0) {
  console.error(`\n${exceeded.join("\n")}`);
  process.exit(1);
}
console.log(
  `\nbudgets met: worker bundle gzip ${kib(gzipTotal)} <= ${ceilings.workerBundleGzipKiB} KiB; zod ships English only`,
);
