import { defineConfig } from "vitest/config";

/** `npm run e2e`: the browser tests in test/e2e/ (each starts its own server; see docs.e2e.ts). */
export default defineConfig({
  test: {
    name: "e2e",
    environment: "node",
    include: ["test/e2e/**/*.e2e.ts"],
    testTimeout: 60_000,
    hookTimeout: 180_000,
  },
});
