/**
 * What `npm run budgets` measures, as pure functions over wrangler's outputs: the gzipped size of the
 * uploaded modules, where the bytes come from (esbuild's metafile), that zod's locale alias caught
 * only zod, a summary of a start-up CPU profile, and the comparison with the ceilings.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { gzipSync } from "node:zlib";
import type { Ceilings } from "./ceilings.ts";

/** The parts of esbuild's metafile read here. */
export interface Metafile {
  inputs: Record<string, { bytes: number; imports: { path: string; original?: string }[] }>;
  outputs: Record<
    string,
    { bytes: number; entryPoint?: string; inputs: Record<string, { bytesInOutput: number }> }
  >;
}

/** One module of the upload. */
export interface ModuleSize {
  name: string;
  bytes: number;
  /** gzip -9 of this module alone. */
  gzipBytes: number;
}

/** The files of wrangler's `--outdir` that are uploaded as modules: all but source maps and its README. */
export function uploadedModules(dir: string): ModuleSize[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((f) => f.isFile() && !f.name.endsWith(".map") && f.name !== "README.md")
    .map((f) => {
      const path = join(f.parentPath, f.name);
      const content = readFileSync(path);
      return {
        name: relative(dir, path),
        bytes: content.length,
        gzipBytes: gzipSync(content, { level: 9 }).length,
      };
    })
    .sort((a, b) => a.name.localeCompare(b.name));
}

/**
 * The contributor an esbuild input belongs to: its npm package (zod's locales apart), its folder
 * under src/, or the path itself (esbuild's `<runtime>`).
 */
export function contributorOf(input: string): string {
  const pkg = /(?:^|\/)node_modules\/((?:@[^/]+\/)?[^/]+)\/(.*)$/.exec(input);
  if (pkg) {
    const [, name, rest] = pkg;
    return name === "zod" && rest?.startsWith("v4/locales/") ? "zod (locales)" : (name as string);
  }
  if (input.startsWith("src/")) {
    const slash = input.lastIndexOf("/");
    return input.slice(0, slash);
  }
  return input;
}

/** Contributor and its raw minified bytes in the uploaded modules. */
export interface Contributor {
  name: string;
  bytes: number;
}

/**
 * Where the bytes of the upload come from, largest first: the main module's bytes by contributor
 * (esbuild's `bytesInOutput`, minified, before compression), and every other module (text, wasm) as
 * itself.
 */
export function contributors(metafile: Metafile, modules: readonly ModuleSize[]): Contributor[] {
  const main = mainOutput(metafile);
  const totals = new Map<string, number>();
  for (const [input, { bytesInOutput }] of Object.entries(main.inputs)) {
    const name = contributorOf(input);
    totals.set(name, (totals.get(name) ?? 0) + bytesInOutput);
  }
  const mainName = main.path.split("/").pop();
  for (const m of modules) {
    if (m.name !== mainName) totals.set(`${m.name} (module)`, m.bytes);
  }
  return [...totals]
    .filter(([, bytes]) => bytes > 0)
    .map(([name, bytes]) => ({ name, bytes }))
    .sort((a, b) => b.bytes - a.bytes || a.name.localeCompare(b.name));
}

function mainOutput(metafile: Metafile) {
  const entry = Object.entries(metafile.outputs).find(([, o]) => o.entryPoint !== undefined);
  if (!entry) throw new Error("metafile: no output with an entry point");
  return { path: entry[0], ...entry[1] };
}

/** The module the `[alias]` in wrangler.toml puts in place of zod's `../locales/index.js`. */
export const ZOD_LOCALES_ALIAS = "src/lib/zod-locales.ts";

/**
 * Problems with the zod locale alias: an import outside zod that it replaced (the alias matches an
 * import path, not a package), or zod locales other than English in the bundle (the alias no longer
 * applies, e.g. after zod moved the import).
 */
export function zodLocaleProblems(metafile: Metafile): string[] {
  const problems: string[] = [];
  for (const [input, { imports }] of Object.entries(metafile.inputs)) {
    if (imports.some((i) => i.path === ZOD_LOCALES_ALIAS) && !/(^|\/)node_modules\/zod\//.test(input)) {
      problems.push(`the zod locale alias (wrangler.toml [alias]) also replaced an import of ${input}`);
    }
  }
  const locales = Object.entries(mainOutput(metafile).inputs)
    .filter(
      ([input, { bytesInOutput }]) =>
        bytesInOutput > 0 && /node_modules\/zod\/v4\/locales\/(?!en\.js$|index\.js$)/.test(input),
    )
    .map(([input]) => input.split("/").pop());
  if (locales.length > 0) {
    problems.push(
      `zod locales other than English are bundled (${locales.length}: ${locales.slice(0, 5).join(", ")}${locales.length > 5 ? ", ..." : ""}): the [alias] in wrangler.toml no longer applies`,
    );
  }
  return problems;
}

/** The parts of a V8 CPU profile (`.cpuprofile`) read here. */
export interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string } }[];
  startTime: number;
  endTime: number;
  samples?: number[];
  timeDeltas?: number[];
}

/** Start-up time in milliseconds, split as `wrangler check startup` reports it. */
export interface StartupSummary {
  /** Sampled time that was not idle: evaluating the Worker's modules, garbage collection included. */
  activeMs: number;
  garbageCollectionMs: number;
  idleMs: number;
  samples: number;
}

/** Summarises a start-up profile the way wrangler's `check startup` does (active = sampled - idle). */
export function summarizeStartupProfile(profile: CpuProfile): StartupSummary {
  const names = new Map(profile.nodes.map((n) => [n.id, n.callFrame.functionName]));
  const samples = profile.samples ?? [];
  let sampled = 0;
  let idle = 0;
  let gc = 0;
  for (const [i, delta] of (profile.timeDeltas ?? []).entries()) {
    sampled += delta;
    const name = names.get(samples[i] ?? 0);
    if (name === "(idle)") idle += delta;
    else if (name === "(garbage collector)") gc += delta;
  }
  const ms = (us: number) => Math.round(us / 100) / 10;
  return {
    activeMs: ms(sampled - idle),
    garbageCollectionMs: ms(gc),
    idleMs: ms(idle),
    samples: samples.length,
  };
}

/** What was measured against the ceilings. */
export interface Measured {
  workerBundleGzipBytes: number;
}

/** One line per ceiling exceeded, each naming the budget: `budget exceeded: worker bundle gzip ...`. */
export function exceededBudgets(measured: Measured, ceilings: Ceilings): string[] {
  const exceeded: string[] = [];
  const gzipKiB = measured.workerBundleGzipBytes / 1024;
  if (gzipKiB > ceilings.workerBundleGzipKiB) {
    exceeded.push(
      `budget exceeded: worker bundle gzip ${kib(measured.workerBundleGzipBytes)} > ${ceilings.workerBundleGzipKiB} KiB`,
    );
  }
  return exceeded;
}

/** Bytes as KiB with one decimal: `290.1 KiB`. */
export function kib(bytes: number): string {
  return `${(bytes / 1024).toFixed(1)} KiB`;
}
