/**
 * Runs once in Node before any test: a throw-away embedded PostgreSQL on a free port with the
 * migrations applied, and the local gateway (Neon HTTP + WebSocket protocols, Upstash REST when a
 * Redis answers) in front of it. Addresses reach the tests through provide()/inject().
 */
import { randomBytes } from "node:crypto";
import type { TestProject } from "vitest/node";
import { startGateway } from "../../scripts/local/gateway.ts";
import { applyMigrations } from "../../scripts/local/migrate.ts";
import { freePort } from "../../scripts/local/ports.ts";
import { startLocalPostgres } from "../../scripts/local/postgres.ts";
import { redisAnswers } from "../../scripts/local/redis.ts";

declare module "vitest" {
  export interface ProvidedContext {
    /** postgres:// URL of the throw-away test database (reached by the Worker through the gateway). */
    databaseUrl: string;
    /** http://127.0.0.1:PORT of the local gateway. */
    gatewayUrl: string;
    /** redis:// URL of a real Redis when one answered at start-up, else "". */
    redisUrl: string;
    /** Bearer token the gateway's Upstash REST endpoint expects. */
    upstashToken: string;
    /** Bearer token of both gateways' control endpoints (`/__gateway/*`), random per run. */
    gatewayControlToken: string;
    /**
     * A second gateway over the same database and Redis, for tests that break or slow down its Redis
     * (so they cannot disturb tests running at the same time on the main one).
     */
    chaosGatewayUrl: string;
  }
}

let stop: (() => Promise<void>) | undefined;
let started: Promise<import("vitest").ProvidedContext> | undefined;

async function start() {
  const pg = await startLocalPostgres({ port: await freePort() });
  await applyMigrations(pg.url);
  const requestedRedis = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
  const redisUrl = (await redisAnswers(requestedRedis)) ? requestedRedis : "";
  if (process.env.REQUIRE_REDIS === "1" && !redisUrl) {
    throw new Error(`REQUIRE_REDIS=1 but no Redis answered at ${requestedRedis}`);
  }
  const upstashToken = "local-upstash-token";
  const controlToken = randomBytes(32).toString("base64url");
  const startOne = async () =>
    startGateway({
      port: await freePort(),
      postgres: `127.0.0.1:${pg.port}`,
      redisUrl: redisUrl || undefined,
      upstashToken,
      controlToken,
    });
  const gateway = await startOne();
  const chaos = await startOne();
  stop = async () => {
    await chaos.close();
    await gateway.close();
    await pg.stop();
  };
  return {
    databaseUrl: pg.url,
    gatewayUrl: gateway.url,
    redisUrl,
    upstashToken,
    gatewayControlToken: controlToken,
    chaosGatewayUrl: chaos.url,
  };
}

export default async function setup(project: TestProject) {
  // Both projects list this setup; the services are started once per vitest process.
  started ??= start();
  const ctx = await started;
  project.provide("databaseUrl", ctx.databaseUrl);
  project.provide("gatewayUrl", ctx.gatewayUrl);
  project.provide("redisUrl", ctx.redisUrl);
  project.provide("upstashToken", ctx.upstashToken);
  project.provide("gatewayControlToken", ctx.gatewayControlToken);
  project.provide("chaosGatewayUrl", ctx.chaosGatewayUrl);
  return async () => {
    const s = stop;
    stop = undefined;
    await s?.();
  };
}
