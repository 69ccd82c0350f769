/**
 * Hot-path benchmarks inside workerd (kept out of `npm test`): `npm run bench:hot-path`, or one of
 * them with `npm run bench:hot-path -- users-me`. The test suite's global setup provides the
 * throw-away PostgreSQL, the gateway and (when one answers) Redis, as for the tests.
 */
import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";
import { staticWorker } from "../../test/setup/static-worker.ts";

export default defineConfig({
  cacheDir: "../../node_modules/.vite-bench-hot-path",
  plugins: [
    cloudflareTest({
      wrangler: { configPath: "../../wrangler.toml" },
      miniflare: {
        // The assets-only Worker the API reads its static files from (STATIC binding).
        workers: [staticWorker],
        bindings: {
          ENVIRONMENT: "test",
          LOG_LEVEL: "info",
          RATE_LIMIT_ENABLED: "false",
          JWT_SECRET: "bench-secret-bench-secret-bench-secret-0123",
          APP_URL: "http://localhost",
        },
      },
    }),
  ],
  test: {
    name: "bench-hot-path",
    root: import.meta.dirname,
    include: ["*.workerd.ts"],
    globalSetup: ["../../test/setup/global-setup.ts"],
    testTimeout: 10 * 60_000,
    // One file at a time so benches do not compete for the cores.
    fileParallelism: false,
  },
});
