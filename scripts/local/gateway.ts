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
 *
 * Standalone: `npx tsx scripts/local/gateway.ts --port 54330 [--redis redis://127.0.0.1:6379]`.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { Counters } from "./gateway/counters.ts";
import { NeonHttpHandler } from "./gateway/neon-http.ts";
import { NeonWsProxy } from "./gateway/neon-ws.ts";
import { UpstashRestHandler } from "./gateway/upstash-rest.ts";

export interface GatewayOptions {
  port: number;
  /** Interface to listen on; default 127.0.0.1. */
  host?: string;
  /** Real Redis behind the Upstash REST emulation; without it `/upstash/*` answers 503. */
  redisUrl?: string;
  /** Bearer token `/upstash/*` expects; default "local-upstash-token". */
  upstashToken?: string;
  log?: (line: string) => void;
}

export interface Gateway {
  /** http://127.0.0.1:PORT */
  url: string;
  port: number;
  /** Closes the server, WebSocket tunnels, all Postgres pools and the Redis connection. */
  close(): Promise<void>;
}

/** Bigger bodies get 413: protects the gateway, far above any real query. */
const MAX_BODY_BYTES = 16 * 1024 * 1024;

class PayloadTooLarge extends Error {}

export async function startGateway(options: GatewayOptions): Promise<Gateway> {
  const host = options.host ?? "127.0.0.1";
  const log = options.log ?? (() => {});
  const counters = new Counters();
  const neonHttp = new NeonHttpHandler(counters, log);
  const neonWs = new NeonWsProxy(counters, log);
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

  server.on("upgrade", (req, socket, head) => {
    socket.on("error", (error) => log(`gateway: upgrade socket error: ${error.message}`));
    const url = new URL(req.url ?? "/", "http://gateway");
    if (url.pathname !== "/v2") {
      socket.end("HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
      return;
    }
    neonWs.handleUpgrade(req, socket, head, url);
  });

  await new Promise<void>((resolveListen, reject) => {
    server.once("error", reject);
    server.listen(options.port, host, () => {
      server.off("error", reject);
      resolveListen();
    });
  });
  server.on("error", (error) => log(`gateway: server error: ${error.message}`));

  const port = (server.address() as AddressInfo).port;
  const publicHost =
    host === "0.0.0.0" || host === "::" ? "127.0.0.1" : host.includes(":") ? `[${host}]` : host;
  log(
    `gateway: listening on http://${publicHost}:${port}${options.redisUrl ? ` (Redis ${options.redisUrl})` : ""}`,
  );

  let closing: Promise<void> | undefined;
  return {
    url: `http://${publicHost}:${port}`,
    port,
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
      port: { type: "string", default: "54330" },
      host: { type: "string", default: "127.0.0.1" },
      redis: { type: "string" },
      token: { type: "string" },
    },
  });
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`invalid --port ${values.port}`);
  const gateway = await startGateway({
    port,
    host: values.host,
    redisUrl: values.redis,
    upstashToken: values.token,
    log: (line) => console.log(line),
  });
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
