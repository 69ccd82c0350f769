/**
 * Neon's WebSocket proxy protocol: `GET /v2?address=HOST:PORT` upgraded to a WebSocket that carries
 * the raw PostgreSQL wire protocol in binary frames, piped to a TCP connection to HOST:PORT. This is
 * what the driver's `Pool`/`Client` (and `drizzle-orm/neon-serverless`) open when
 * `neonConfig.wsProxy = (host, port) => "127.0.0.1:GW/v2?address=" + host + ":" + port` and
 * `useSecureWebSocket = false`. No framing of our own: bytes in, bytes out; either side closing
 * closes the other.
 */
import type { IncomingMessage } from "node:http";
import { connect, type Socket } from "node:net";
import type { Duplex } from "node:stream";
import { type RawData, type WebSocket, WebSocketServer } from "ws";
import type { ConnectionIdentity, Counters } from "./counters.ts";
import { hostAndPort, type PostgresAddress, parsePostgresAddress, refuseUpgrade } from "./guard.ts";

/** Pause reading from Postgres while this much is queued towards a slow WebSocket client. */
const HIGH_WATER_MARK = 1024 * 1024;

const PROTOCOL_3_0 = 196608;
const SSL_REQUEST = 80877103;
const GSSENC_REQUEST = 80877104;

export class NeonWsProxy {
  private readonly wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });
  private readonly tcpSockets = new Set<Socket>();

  /** `postgres`: the only address tunnels may go to; none at all when undefined. */
  constructor(
    private readonly counters: Counters,
    private readonly log: (line: string) => void,
    private readonly postgres: PostgresAddress | undefined,
  ) {}

  /** Called from the HTTP server's `upgrade` event for `/v2` (Origin and Host already checked). */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, url: URL): void {
    const target = parsePostgresAddress(url.searchParams.get("address"));
    if (!target) {
      refuseUpgrade(socket, 400, "address must be HOST:PORT");
      return;
    }
    if (target !== this.postgres) {
      this.log(`neon-ws: refused a tunnel to ${target}`);
      refuseUpgrade(socket, 403, this.refusal(target));
      return;
    }
    const { host, port } = hostAndPort(target);
    this.wss.handleUpgrade(req, socket, head, (ws) => this.pipe(ws, host, port));
  }

  private refusal(target: string): string {
    return this.postgres
      ? `this gateway only reaches PostgreSQL at ${this.postgres}, not ${target}`
      : "this gateway was started without a PostgreSQL address";
  }

  async close(): Promise<void> {
    for (const ws of this.wss.clients) ws.terminate();
    for (const tcp of this.tcpSockets) tcp.destroy();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
  }

  private pipe(ws: WebSocket, host: string, port: number): void {
    const address = `${host}:${port}`;
    const tcp = connect({ host, port });
    tcp.setNoDelay(true);
    this.tcpSockets.add(tcp);
    const sniffer = new StartupSniffer(address, (id) => this.counters.countWsConnection(id));

    ws.on("message", (data: RawData) => {
      const chunk = toBuffer(data);
      sniffer.feed(chunk);
      // net.Socket buffers writes made before the TCP connection is up.
      if (!tcp.destroyed) tcp.write(chunk);
    });

    let queued = 0;
    tcp.on("data", (chunk: Buffer) => {
      if (ws.readyState !== ws.OPEN) return;
      queued += chunk.length;
      if (queued > HIGH_WATER_MARK) tcp.pause();
      ws.send(chunk, { binary: true }, () => {
        queued -= chunk.length;
        if (queued <= HIGH_WATER_MARK && tcp.isPaused()) tcp.resume();
      });
    });

    tcp.on("error", (error) => this.log(`neon-ws: ${address}: ${error.message}`));
    // Postgres hangs up after the client's Terminate message; closing the WebSocket then is what ends
    // the driver's connection (as with Neon's proxy, the driver itself never closes it: pg passes its
    // end-callback where the driver's Socket.write expects the encoding, so it is never called).
    tcp.on("close", (hadError) => {
      this.tcpSockets.delete(tcp);
      if (ws.readyState === ws.OPEN || ws.readyState === ws.CONNECTING) ws.close(hadError ? 1011 : 1000);
    });
    ws.on("error", (error) => this.log(`neon-ws: websocket for ${address}: ${error.message}`));
    ws.on("close", () => {
      sniffer.finish();
      tcp.end();
      // Do not wait for Postgres to acknowledge: the client is gone.
      setTimeout(() => tcp.destroy(), 1000).unref();
    });
  }
}

function toBuffer(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}

/**
 * Reads the client's first PostgreSQL message (StartupMessage, possibly after an SSLRequest or
 * GSSENCRequest the server declined) to learn user, database and application_name, so the
 * connection can be counted per connection string. Counted once; by address alone when the
 * startup cannot be read (TLS, cancel requests, garbage).
 */
class StartupSniffer {
  private buffer: Buffer = Buffer.alloc(0);
  private done = false;

  constructor(
    private readonly address: string,
    private readonly count: (id: ConnectionIdentity) => void,
  ) {}

  feed(chunk: Buffer): void {
    if (this.done) return;
    this.buffer = Buffer.concat([this.buffer, chunk]);
    while (!this.done && this.buffer.length >= 8) {
      const length = this.buffer.readInt32BE(0);
      const code = this.buffer.readInt32BE(4);
      if (length < 8 || length > 10_000) {
        this.finish();
        return;
      }
      if (this.buffer.length < length) return;
      const message = this.buffer.subarray(8, length);
      this.buffer = this.buffer.subarray(length);
      if (code === SSL_REQUEST || code === GSSENC_REQUEST) continue; // the StartupMessage may follow
      if (code >> 16 !== PROTOCOL_3_0 >> 16) {
        this.finish();
        return;
      }
      const params = parseStartupParams(message);
      this.report({
        address: this.address,
        user: params.user ?? "",
        database: params.database ?? params.user ?? "",
        applicationName: params.application_name ?? "",
      });
    }
  }

  /** Counts the connection by address alone if its startup was never read. */
  finish(): void {
    this.report({ address: this.address, user: "", database: "", applicationName: "" });
  }

  private report(id: ConnectionIdentity): void {
    if (this.done) return;
    this.done = true;
    this.buffer = Buffer.alloc(0);
    this.count(id);
  }
}

function parseStartupParams(body: Buffer): Record<string, string> {
  const parts = body.toString("utf8").split("\0");
  const params: Record<string, string> = {};
  for (let i = 0; i + 1 < parts.length && parts[i]; i += 2)
    params[parts[i] as string] = parts[i + 1] as string;
  return params;
}
