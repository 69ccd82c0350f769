import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";
import { copyDocsAssets } from "./scripts/docs-assets.ts";
import { staticWorker } from "./test/setup/static-worker.ts";

// The docs' vendor files are served from public/ (the assets-only Worker below): copied before any test.
copyDocsAssets();

/**
 * Two projects share one global setup (embedded PostgreSQL + the local Neon/Upstash gateway):
 * - `workers`: the Worker's own tests, run inside workerd through miniflare;
 * - `node`: tests of the Node-side local tooling (gateway protocol fidelity against plain `pg`).
 */
export default defineConfig({
  test: {
    globalSetup: ["./test/setup/global-setup.ts"],
    projects: [
      {
        plugins: [
          cloudflareTest({
            wrangler: { configPath: "./wrangler.toml" },
            miniflare: {
              // The assets-only Worker the API reads its static files from (STATIC binding).
              workers: [staticWorker],
              // Test-only values; the database and gateway addresses come from the global setup via inject().
              bindings: {
                ENVIRONMENT: "test",
                LOG_LEVEL: "silent",
                // Most tests log in many times from one address; the rate-limit tests turn limits on.
                RATE_LIMIT_ENABLED: "false",
                JWT_SECRET: "test-secret-test-secret-test-secret-0123456789",
                APP_URL: "http://localhost",
              },
            },
          }),
        ],
        test: {
          name: "workers",
          include: ["test/{unit,integration,queues}/**/*.test.ts"],
          globalSetup: ["./test/setup/global-setup.ts"],
          testTimeout: 20_000,
          // The fuzz suite's seed and runs per operation (`npm run fuzz -- --seed N --runs M`).
          provide: { fuzzSeed: process.env.FUZZ_SEED ?? "", fuzzRuns: process.env.FUZZ_RUNS ?? "" },
        },
      },
      {
        test: {
          name: "node",
          environment: "node",
          include: ["test/node/**/*.test.ts"],
          globalSetup: ["./test/setup/global-setup.ts"],
          testTimeout: 20_000,
        },
      },
    ],
  },
});
