/**
 * Local gateway: lets the Worker's *production* database and Redis drivers run against a local
 * PostgreSQL and Redis, by speaking the protocols of the hosted services they normally talk to:
 *
 *   POST /sql                      Neon SQL-over-HTTP (neon(), drizzle-orm/neon-http)
 *   GET  /v2?address=HOST:PORT     Neon WebSocket proxy (Pool/Client, drizzle-orm/neon-serverless)
 *   POST /upstash[/pipeline|/multi-exec]   Upstash Redis REST (@upstash/redis, @upstash/ratelimit)
 *   GET  /__gateway/stats?connection_string=...   round-trip counters for tests
 *   POST /__gateway/redis {"url": "redis://...", "delay_ms"?: n}  repoint or slow down the Upstash
 *                                  emulation (outage and timeout tests)
 *   GET  /__gateway/health
 *
 * It is reachable from this machine only, and not from a web page open on it (see gateway/guard.ts):
 * it listens on 127.0.0.1; it refuses any request or upgrade carrying an `Origin` header (403) or a
 * Host that is not loopback (421); /sql and /v2 reach only the PostgreSQL address it was started with
 * (403); /__gateway/* needs `Authorization: Bearer <control token>` (401), a random token per start.
 *
 * Standalone: `npx tsx scripts/local/gateway.ts [--port 54330] [--postgres 127.0.0.1:54329]
 * [--redis redis://127.0.0.1:6379]` (prints the control token).
 */
import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { DEV_GATEWAY_PORT, DEV_POSTGRES_PORT } from "./dev-defaults.ts";
import { Counters } from "./gateway/counters.ts";
import {
  bearerMatches,
  hasOrigin,
  isLoopbackHost,
  parsePostgresAddress,
  refuseUpgrade,
} from "./gateway/guard.ts";
import { NeonHttpHandler } from "./gateway/neon-http.ts";
import { NeonWsProxy } from "./gateway/neon-ws.ts";
import { UpstashRestHandler } from "./gateway/upstash-rest.ts";

/** How to start a gateway; it always listens on 127.0.0.1. */
export interface GatewayOptions {
  port: number;
  /**
   * host:port of the one PostgreSQL that /sql and /v2 may reach (as written in the connection
   * strings clients send, e.g. "127.0.0.1:54329"). Without it they refuse every request.
   */
  postgres?: string;
  /** Real Redis behind the Upstash REST emulation; without it `/upstash/*` answers 503. */
  redisUrl?: string;
  /** Bearer token `/upstash/*` expects; default "local-upstash-token". */
  upstashToken?: string;
  /** Bearer token `/__gateway/*` expects; a random one per start when omitted. */
  controlToken?: string;
  log?: (line: string) => void;
}

/** A running gateway. */
export interface Gateway {
  /** http://127.0.0.1:PORT */
  url: string;
  port: number;
  /** The address the server is bound to (always 127.0.0.1). */
  host: string;
  /** What `/__gateway/*` wants in `Authorization: Bearer ...`. */
  controlToken: string;
  /** Closes the server, WebSocket tunnels, all Postgres pools and the Redis connection. */
  close(): Promise<void>;
}

/** Bigger bodies get 413: protects the gateway, far above any real query. */
const MAX_BODY_BYTES = 16 * 1024 * 1024;

class PayloadTooLarge extends Error {}

/** Loopback only: nothing off this machine may reach a gateway that fronts a database. */
const HOST = "127.0.0.1";

/** Starts a gateway on 127.0.0.1:`port` (0 for a free port). */
export async function startGateway(options: GatewayOptions): Promise<Gateway> {
  const log = options.log ?? (() => {});
  const postgres = parsePostgresAddress(options.postgres);
  if (options.postgres !== undefined && !postgres)
    throw new Error(`postgres must be HOST:PORT, not ${options.postgres}`);
  const controlToken = options.controlToken ?? randomBytes(32).toString("base64url");
  const counters = new Counters();
  const neonHttp = new NeonHttpHandler(counters, log, postgres);
  const neonWs = new NeonWsProxy(counters, log, postgres);
  const upstash = new UpstashRestHandler(
    options.redisUrl,
    options.upstashToken ?? "local-upstash-token",
    log,
  );

  let upstashDelayMs = 0;

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://gateway");
    const method = req.method ?? "GET";
    const path = url.pathname;

    if (!isLoopbackHost(req.headers.host)) {
      return send(res, 421, { message: "the gateway answers only to 127.0.0.1 or localhost" });
    }
    if (hasOrigin(req.headers)) {
      log(`gateway: refused ${method} ${path} from Origin ${req.headers.origin}`);
      return send(res, 403, { message: "the gateway refuses requests from web pages (Origin header)" });
    }
    if (path.startsWith("/__gateway/") && !bearerMatches(req.headers.authorization, controlToken)) {
      res.setHeader("WWW-Authenticate", 'Bearer realm="gateway control"');
      return send(res, 401, {
        message: "the gateway's control endpoints need Authorization: Bearer <token>",
      });
    }

    if (path === "/sql") {
      if (method !== "POST") return send(res, 405, { message: "use POST" });
      const answer = await neonHttp.handle(req.headers, await readBody(req));
      return send(res, answer.status, answer.json);
    }
    if (path === "/upstash" || path.startsWith("/upstash/")) {
      // Simulated slowness (tests of the limiter's timeout), set through POST /__gateway/redis.
      if (upstashDelayMs > 0) await new Promise((r) => setTimeout(r, upstashDelayMs));
      const answer = await upstash.handle(
        method,
        path.slice("/upstash".length),
        req.headers,
        await readBody(req),
      );
      return send(res, answer.status, answer.json);
    }
    if (path === "/__gateway/stats" && method === "GET") {
      return send(res, 200, counters.forConnectionString(url.searchParams.get("connection_string") ?? ""));
    }
    if (path === "/__gateway/redis" && method === "POST") {
      let target: unknown;
      try {
        const body = JSON.parse((await readBody(req)).toString("utf8")) as {
          url?: unknown;
          delay_ms?: unknown;
        } | null;
        target = body?.url;
        const delay = body?.delay_ms ?? 0;
        if (typeof target !== "string")
          throw new Error('body must be {"url": "redis://...", "delay_ms"?: number}');
        if (typeof delay !== "number" || delay < 0 || delay > 60_000)
          throw new Error("delay_ms must be 0..60000");
        upstash.setRedisUrl(target);
        upstashDelayMs = delay;
      } catch (error) {
        if (error instanceof PayloadTooLarge) throw error;
        return send(res, 400, { error: error instanceof Error ? error.message : String(error) });
      }
      return send(res, 200, { url: target, delay_ms: upstashDelayMs });
    }
    if (path === "/__gateway/health") return send(res, 200, { ok: true, redis: upstash.redisUrl ?? null });
    return send(res, 404, { message: `no route for ${method} ${path}` });
  }

  const server = createServer((req, res) => {
    route(req, res).catch((error: unknown) => {
      if (error instanceof PayloadTooLarge)
        return send(res, 413, { message: error.message, error: error.message });
      // Never crash on a request: log it and answer 500.
      const message = error instanceof Error ? error.message : String(error);
      log(`gateway: ${req.method} ${req.url} failed: ${message}`);
      send(res, 500, { message, error: message });
    });
  });

  // The Worker's fetch keeps idle connections to reuse them. Node closes an idle keep-alive
  // connection after 5 s by default; a query sent on it just as it closes fails with "Network
  // connection lost" (a 500 under load). Like Neon's proxy, outlive the client's idle connections.
  server.keepAliveTimeout = 10 * 60_000;
  server.headersTimeout = server.keepAliveTimeout + 1_000;

  server.on("upgrade", (req, socket, head) => {
    socket.on("error", (error) => log(`gateway: upgrade socket error: ${error.message}`));
    const url = new URL(req.url ?? "/", "http://gateway");
    if (!isLoopbackHost(req.headers.host)) return refuseUpgrade(socket, 421, "loopback Host only");
    // Browsers send Origin on every WebSocket handshake; no page may open a tunnel to the database.
    if (hasOrigin(req.headers)) {
      log(`gateway: refused a WebSocket upgrade from Origin ${req.headers.origin}`);
      return refuseUpgrade(socket, 403, "the gateway refuses WebSockets from web pages (Origin header)");
    }
    if (url.pathname !== "/v2") return refuseUpgrade(socket, 404, `no WebSocket route ${url.pathname}`);
    neonWs.handleUpgrade(req, socket, head, url);
  });

  await new Promise<void>((resolveListen, reject) => {
    server.once("error", reject);
    server.listen(options.port, HOST, () => {
      server.off("error", reject);
      resolveListen();
    });
  });
  server.on("error", (error) => log(`gateway: server error: ${error.message}`));

  const { port, address } = server.address() as AddressInfo;
  log(
    `gateway: listening on http://${HOST}:${port} (PostgreSQL ${postgres ?? "none"}${options.redisUrl ? `, Redis ${options.redisUrl}` : ""})`,
  );

  let closing: Promise<void> | undefined;
  return {
    url: `http://${HOST}:${port}`,
    port,
    host: address,
    controlToken,
    close() {
      closing ??= (async () => {
        const serverClosed = new Promise<void>((r) => server.close(() => r()));
        // Keep-alive sockets would otherwise hold server.close() open.
        server.closeAllConnections();
        await neonWs.close();
        upstash.close();
        await Promise.all([serverClosed, neonHttp.close()]);
      })();
      return closing;
    },
  };
}

function send(res: ServerResponse, status: number, json: unknown): void {
  if (res.headersSent) return void res.end();
  const body = JSON.stringify(json);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(body) });
  res.end(body);
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolveBody, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new PayloadTooLarge(`request body over ${MAX_BODY_BYTES} bytes`));
        req.resume();
        return;
      }
      chunks.push(chunk);
    });
    req.on("end", () => resolveBody(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

/** CLI entry, only when this file is the main module (not when imported by the test setup). */
async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: "string", default: String(DEV_GATEWAY_PORT) },
      postgres: { type: "string", default: `127.0.0.1:${DEV_POSTGRES_PORT}` },
      redis: { type: "string" },
      token: { type: "string" },
    },
  });
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`invalid --port ${values.port}`);
  const gateway = await startGateway({
    port,
    postgres: values.postgres,
    redisUrl: values.redis,
    upstashToken: values.token,
    log: (line) => console.log(line),
  });
  console.log(`gateway: control token (Authorization: Bearer ...) ${gateway.controlToken}`);
  const stop = () => {
    gateway.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  });
}
