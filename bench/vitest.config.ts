/**
 * Benchmarks that must run inside workerd. Kept out of the normal test run (the root config only
 * includes test/**); run with `npx vitest run --config bench/vitest.config.ts` from the repo root.
 * No global setup: the password bench needs no database or gateway.
 */
import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

export default defineConfig({
  // Keep Vite's cache with the repo's (root is bench/, which would otherwise grow a node_modules/).
  cacheDir: "../node_modules/.vite-bench",
  plugins: [
    cloudflareTest({
      // The Worker's own compatibility date and flags (nodejs_compat for node:crypto).
      wrangler: { configPath: "../wrangler.toml" },
    }),
  ],
  test: {
    name: "bench",
    root: import.meta.dirname,
    include: ["**/*.test.ts"],
    testTimeout: 10 * 60_000,
    // One file at a time so benches do not compete for the two cores.
    fileParallelism: false,
  },
});
