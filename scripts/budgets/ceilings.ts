/**
 * The ceilings `npm run budgets` holds the Worker to, in one place. Deterministic numbers only: a
 * timing (the start-up CPU) is measured and reported, never a ceiling.
 *
 * The per-endpoint database round-trip budgets live in docs/database-round-trips.md, which the
 * "round-trip budget" test (test/integration/budgets/round-trips.test.ts) reads.
 */
export const CEILINGS = {
  /**
   * Every module the Worker uploads (the script and any text or wasm modules, not source maps),
   * each compressed with gzip -9, summed, in KiB. Static assets are uploaded apart and do not count.
   */
  workerBundleGzipKiB: 275,
} as const;

export type Ceilings = { -readonly [K in keyof typeof CEILINGS]: number };

/** How each ceiling can be overridden for one run: an environment variable and a flag. */
export const OVERRIDES: Record<keyof Ceilings, { env: string; flag: string }> = {
  workerBundleGzipKiB: { env: "BUDGET_WORKER_GZIP_KIB", flag: "--worker-gzip-kib" },
};

/**
 * The ceilings for this run: the defaults above, then the environment, then the flags
 * (`--worker-gzip-kib=100` or `--worker-gzip-kib 100`). A value that is not a positive number throws.
 *
 * @example
 * resolveCeilings({ BUDGET_WORKER_GZIP_KIB: "100" }, []); // { workerBundleGzipKiB: 100 }
 */
export function resolveCeilings(env: Record<string, string | undefined>, argv: readonly string[]): Ceilings {
  const ceilings: Ceilings = { ...CEILINGS };
  for (const [key, { env: name, flag }] of Object.entries(OVERRIDES) as [
    keyof Ceilings,
    typeof OVERRIDES.workerBundleGzipKiB,
  ][]) {
    const fromFlag = flagValue(argv, flag);
    const raw = fromFlag ?? env[name];
    if (raw === undefined || raw === "") continue;
    const value = Number(raw);
    if (!Number.isFinite(value) || value <= 0) {
      throw new Error(
        `${fromFlag !== undefined ? flag : name} must be a positive number, got ${JSON.stringify(raw)}`,
      );
    }
    ceilings[key] = value;
  }
  return ceilings;
}

/** The value of `--name=value` or `--name value` in argv, if present. */
export function flagValue(argv: readonly string[], flag: string): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === flag) return argv[i + 1];
    if (arg.startsWith(`${flag}=`)) return arg.slice(flag.length + 1);
  }
  return undefined;
}
