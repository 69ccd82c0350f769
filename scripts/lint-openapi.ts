/**
 * `npm run lint:openapi`: starts the Worker locally (workerd, through wrangler), saves the OpenAPI
 * document it serves to dist/openapi.json and lints it with Redocly's recommended rules.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { unstable_startWorker } from "wrangler";

const worker = await unstable_startWorker({
  config: "wrangler.toml",
  bindings: {
    ENVIRONMENT: { type: "plain_text", value: "development" },
    // Serving the document touches no database; these only satisfy the config schema.
    DATABASE_URL: { type: "plain_text", value: "postgres://lint:lint@127.0.0.1:9/lint" },
    JWT_SECRET: { type: "plain_text", value: "openapi-lint-openapi-lint-openapi-lint-0000" },
    LOG_LEVEL: { type: "plain_text", value: "silent" },
  },
  dev: { server: { port: 0 }, inspector: false },
});
try {
  const res = await worker.fetch("http://localhost/api/openapi.json");
  if (!res.ok) throw new Error(`openapi.json answered ${res.status}: ${await res.text()}`);
  mkdirSync("dist", { recursive: true });
  writeFileSync("dist/openapi.json", JSON.stringify(await res.json(), null, 2));
} finally {
  await worker.dispose();
}
console.log("dist/openapi.json written; linting with @redocly/cli (recommended rules)");
execFileSync(
  "npx",
  ["--yes", "@redocly/cli@2", "lint", "dist/openapi.json", "--extends", "recommended", "--format", "stylish"],
  {
    stdio: "inherit",
  },
);
