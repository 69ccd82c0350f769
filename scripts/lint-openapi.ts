/**
 * `npm run lint:openapi`: lints the OpenAPI document the Worker serves, as integrators get it.
 *
 * 1. `export`: starts the Worker locally (workerd, through wrangler) twice and saves what it serves
 *    at /api/openapi.json: as in development (dist/openapi.json, with the development-only routes) and
 *    as in production (dist/openapi.production.json, an https:// server).
 * 2. `redocly`: Redocly's recommended rules on both.
 * 3. `spectral`: Spectral with spectral:oas and the OWASP API Security ruleset (.spectral.yaml, where
 *    every rule switched off says why) on both; any finding, down to a hint, fails.
 *
 * `tsx scripts/lint-openapi.ts [export|redocly|spectral]...` runs those steps (all three without
 * arguments); redocly and spectral export first when the documents are missing.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { unstable_startWorker } from "wrangler";

export const DOCUMENTS = {
  development: "dist/openapi.json",
  production: "dist/openapi.production.json",
} as const;

/** Serves the document as `environment` would (no database is touched) and writes it to `file`. */
async function exportDocument(environment: keyof typeof DOCUMENTS): Promise<void> {
  const worker = await unstable_startWorker({
    config: "wrangler.toml",
    bindings: {
      ENVIRONMENT: { type: "plain_text", value: environment },
      // Production requires an https APP_URL; the document's server is this placeholder (`.invalid` is
      // reserved for names that never resolve; Redocly warns about example.com).
      APP_URL: {
        type: "plain_text",
        value: environment === "production" ? "https://edge-auth-api.invalid" : "",
      },
      // Serving the document touches no database; these only satisfy the config schema.
      DATABASE_URL: { type: "plain_text", value: "postgres://lint:lint@127.0.0.1:9/lint" },
      JWT_SECRET: { type: "plain_text", value: "openapi-lint-openapi-lint-openapi-lint-0000" },
      LOG_LEVEL: { type: "plain_text", value: "silent" },
      // The document needs no static file; the assets-only Worker (static/wrangler.toml) is not run.
      STATIC: { type: "fetcher", fetcher: async () => new Response("not served here", { status: 404 }) },
    },
    dev: { server: { port: 0 }, inspector: false },
  });
  try {
    const res = await worker.fetch("http://localhost/api/openapi.json");
    if (!res.ok) throw new Error(`openapi.json (${environment}) answered ${res.status}: ${await res.text()}`);
    mkdirSync("dist", { recursive: true });
    writeFileSync(DOCUMENTS[environment], JSON.stringify(await res.json(), null, 2));
  } finally {
    await worker.dispose();
  }
  console.log(`${DOCUMENTS[environment]} written (the document as ${environment} serves it)`);
}

const run = (command: string, args: string[]) => execFileSync(command, args, { stdio: "inherit" });
const files = Object.values(DOCUMENTS);

const steps = {
  async export() {
    await exportDocument("development");
    await exportDocument("production");
  },
  redocly() {
    console.log("Redocly CLI, recommended rules:");
    // Not a devDependency: a large tree for one lint; npx fetches the pinned major once and caches it.
    run("npx", [
      "--yes",
      "@redocly/cli@2",
      "lint",
      ...files,
      "--extends",
      "recommended",
      "--format",
      "stylish",
    ]);
  },
  spectral() {
    console.log("Spectral, spectral:oas + OWASP API Security Top 10 2023 (.spectral.yaml):");
    run("npx", ["spectral", "lint", ...files, "--ruleset", ".spectral.yaml", "--fail-severity", "hint"]);
    console.log(`Spectral: no findings in ${files.join(", ")}`);
  },
};

const requested = process.argv.slice(2);
for (const name of requested) {
  if (!(name in steps)) {
    console.error(`unknown step ${name}; use export, redocly or spectral`);
    process.exit(2);
  }
}
const chosen = (requested.length > 0 ? requested : Object.keys(steps)) as (keyof typeof steps)[];
if (!chosen.includes("export") && files.some((f) => !existsSync(f))) await steps.export();
for (const step of chosen) await steps[step]();
