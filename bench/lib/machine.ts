/**
 * What the numbers were measured on: CPU, cores, memory, load, and the versions of the pieces.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { availableParallelism, cpus, loadavg, totalmem } from "node:os";
import { dirname, join } from "node:path";

const require = createRequire(import.meta.url);

/** The `version` of an installed package, resolved from `from` (a directory); "?" when not found. */
export function packageVersion(name: string, from = import.meta.dirname): string {
  try {
    const paths = require.resolve.paths(name) ?? [];
    const manifest = require.resolve(`${name}/package.json`, { paths: [from, ...paths] });
    return (JSON.parse(readFileSync(manifest, "utf8")) as { version: string }).version;
  } catch {
    return "?";
  }
}

/** workerd is wrangler's (miniflare's) dependency: resolve it from there. */
function workerdVersion(): string {
  try {
    const miniflare = dirname(
      require.resolve("miniflare/package.json", {
        paths: [dirname(require.resolve("wrangler/package.json"))],
      }),
    );
    return packageVersion("workerd", join(miniflare, ".."));
  } catch {
    return packageVersion("workerd");
  }
}

export interface Machine {
  cpu: string;
  cores: number;
  memoryGiB: number;
  node: string;
  wrangler: string;
  workerd: string;
  autocannon: string;
  loadAverage: string;
}

export function describeMachine(): Machine {
  return {
    cpu: cpus()[0]?.model.trim() ?? "unknown",
    cores: availableParallelism(),
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    wrangler: packageVersion("wrangler"),
    workerd: workerdVersion(),
    autocannon: packageVersion("autocannon"),
    loadAverage: loadAverageNow(),
  };
}

/** The 1, 5 and 15 minute load averages, e.g. "3.10 2.50 1.20". */
export function loadAverageNow(): string {
  return loadavg()
    .map((n) => n.toFixed(2))
    .join(" ");
}

export function machineLine(m: Machine): string {
  return (
    `${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB RAM; Node ${m.node}, wrangler ${m.wrangler} ` +
    `(workerd ${m.workerd}), autocannon ${m.autocannon}`
  );
}
