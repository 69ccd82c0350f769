/**
 * `npm run lockfile:complete` — run after `npm install` changes package-lock.json.
 *
 * The registry this project's machines reach serves only the linux-x64 builds of packages that ship
 * per-platform binaries (biome, workerd), so npm writes a lockfile without entries for the other
 * platforms' optional packages, and `npm ci` then refuses it ("Missing: ... from lock file").
 * This adds those entries back (version, optional, os/cpu/libc from the package name), exactly as npm
 * writes them when it can see the whole registry; npm skips them on platforms they do not fit.
 */
import { readFileSync, writeFileSync } from "node:fs";

type Entry = {
  version?: string;
  optional?: boolean;
  os?: string[];
  cpu?: string[];
  libc?: string[];
  optionalDependencies?: Record<string, string>;
};
const path = "package-lock.json";
const lock = JSON.parse(readFileSync(path, "utf8")) as { packages: Record<string, Entry> };
const added: string[] = [];

for (const meta of Object.values(lock.packages)) {
  for (const [name, version] of Object.entries(meta.optionalDependencies ?? {})) {
    const key = `node_modules/${name}`;
    if (lock.packages[key]) continue;
    const entry: Entry = { version, optional: true };
    const os = /(android|darwin|linux|win32|windows|freebsd|openbsd|netbsd|sunos|aix)/.exec(name)?.[1];
    if (os) entry.os = [os === "windows" ? "win32" : os];
    const cpu = /(arm64|x64|ia32|arm|s390x|ppc64|riscv64|loong64|mips64el)/.exec(name)?.[1];
    if (cpu) entry.cpu = [cpu];
    else if (/-64$/.test(name)) entry.cpu = ["x64"];
    if (name.includes("musl")) entry.libc = ["musl"];
    lock.packages[key] = entry;
    added.push(name);
  }
}

const [root, ...rest] = Object.entries(lock.packages).sort(([a], [b]) =>
  a === "" ? -1 : b === "" ? 1 : a.localeCompare(b),
);
lock.packages = Object.fromEntries(root ? [root, ...rest] : rest);
writeFileSync(path, `${JSON.stringify(lock, null, 2)}\n`);
console.log(added.length ? `added ${added.length}: ${added.join(", ")}` : "lockfile already complete");
