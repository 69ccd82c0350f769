/**
 * `npm run dev`: everything a developer needs, from a fresh clone with only Node 22+ and npm.
 *
 * 1. PostgreSQL: DATABASE_URL when set, else an embedded PostgreSQL (data under .data/, kept; its
 *    random superuser password in .data/postgres/auth-api-password).
 * 2. Migrations from drizzle/.
 * 3. The local gateway (Neon HTTP + WebSocket protocols, Upstash REST when a Redis answers on
 *    REDIS_URL, default redis://127.0.0.1:6379), unless DATABASE_URL is a real Neon database.
 * 4. `wrangler dev` on 127.0.0.1:PORT (default 8787) with generated vars in .data/dev.vars
 *    (your own .dev.vars, if any, overrides them).
 * Ctrl-C, or wrangler exiting, stops everything this started.
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { DEV_DATA_DIR, DEV_GATEWAY_PORT, DEV_POSTGRES_PORT } from "./local/dev-defaults.ts";
import { startGateway } from "./local/gateway.ts";
import { applyMigrations } from "./local/migrate.ts";
import { startLocalPostgres } from "./local/postgres.ts";
import { redisAnswers } from "./local/redis.ts";

const port = Number(process.env.PORT ?? 8787);
const say = (line: string) => console.log(`[dev] ${line}`);
const stops: (() => Promise<void>)[] = [];

let stopping: Promise<never> | undefined;
/** Stops what was started, newest first; Ctrl-C and wrangler's exit may both ask, it runs once. */
function stopAll(code: number): Promise<never> {
  stopping ??= (async () => {
    for (const stop of [...stops].reverse()) await stop().catch((err) => say(`stop failed: ${err}`));
    process.exit(code);
  })();
  return stopping;
}

/** A secret generated once per checkout, so tokens survive restarts of `npm run dev`. */
function devSecret(): string {
  const file = ".data/jwt-secret";
  if (existsSync(file)) return readFileSync(file, "utf8").trim();
  const secret = randomBytes(32).toString("base64url");
  writeFileSync(file, `${secret}\n`, { mode: 0o600 });
  return secret;
}

const isNeon = (url: string) => /\.neon\.tech$/i.test(new URL(url).hostname);

async function main() {
  mkdirSync(".data", { recursive: true });
  let databaseUrl = process.env.DATABASE_URL;
  if (databaseUrl) {
    say(`using DATABASE_URL (${new URL(databaseUrl).host})`);
  } else {
    say(`starting embedded PostgreSQL on 127.0.0.1:${DEV_POSTGRES_PORT} (data in ${DEV_DATA_DIR})`);
    const pg = await startLocalPostgres({ dataDir: DEV_DATA_DIR, port: DEV_POSTGRES_PORT });
    stops.push(() => pg.stop());
    databaseUrl = pg.url;
  }
  await applyMigrations(databaseUrl);
  say("migrations applied");

  const vars: Record<string, string> = {
    ENVIRONMENT: "development",
    LOG_LEVEL: process.env.LOG_LEVEL ?? "info",
    DATABASE_URL: databaseUrl,
    JWT_SECRET: devSecret(),
    APP_URL: `http://127.0.0.1:${port}`,
    CORS_ORIGINS: "*",
  };
  const redisUrl = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
  const redis = (await redisAnswers(redisUrl)) ? redisUrl : undefined;
  if (!isNeon(databaseUrl) || redis) {
    const upstashToken = randomBytes(16).toString("hex");
    const db = new URL(databaseUrl);
    const gateway = await startGateway({
      port: DEV_GATEWAY_PORT,
      // The one database it may reach (none when the Worker talks to Neon directly).
      postgres: isNeon(databaseUrl) ? undefined : `${db.hostname}:${db.port || 5432}`,
      redisUrl: redis,
      upstashToken,
    });
    stops.push(() => gateway.close());
    say(
      `gateway on ${gateway.url}${redis ? ` (Upstash REST over ${redis})` : " (no Redis answered: in-memory rate limits)"}`,
    );
    if (!isNeon(databaseUrl)) vars.LOCAL_DB_GATEWAY = gateway.url;
    if (redis) {
      vars.UPSTASH_REDIS_REST_URL = `${gateway.url}/upstash`;
      vars.UPSTASH_REDIS_REST_TOKEN = upstashToken;
    }
  }
  writeFileSync(
    ".data/dev.vars",
    `${Object.entries(vars)
      .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
      .join("\n")}\n`,
    { mode: 0o600 },
  );

  const args = [
    "wrangler",
    "dev",
    // The API Worker, then the assets-only Worker it reads its static files from (STATIC binding).
    "--config",
    "wrangler.toml",
    "--config",
    "static/wrangler.toml",
    "--ip",
    "127.0.0.1",
    "--port",
    String(port),
    "--env-file",
    ".data/dev.vars",
  ];
  if (existsSync(".dev.vars")) args.push("--env-file", ".dev.vars");
  if (!process.stdout.isTTY) args.push("--show-interactive-dev-session=false");
  const wrangler = spawn("npx", args, { stdio: "inherit" });
  stops.push(async () => {
    if (wrangler.exitCode === null) wrangler.kill("SIGTERM");
  });
  const base = `http://127.0.0.1:${port}`;
  say(`API          ${base}/`);
  say(`Swagger UI   ${base}/api/docs`);
  say(`ReDoc        ${base}/api/redoc`);
  say(`OpenAPI JSON ${base}/api/openapi.json`);
  say(`Health       ${base}/health`);
  wrangler.on("exit", (code) => {
    say(`wrangler exited (${code ?? "signal"}); stopping`);
    void stopAll(code ?? 0);
  });
}

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    say(`${signal}: stopping`);
    void stopAll(0);
  });
}

main().catch(async (err) => {
  console.error(`[dev] failed: ${err instanceof Error ? err.message : err}`);
  await stopAll(1);
});
