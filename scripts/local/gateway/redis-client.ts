/**
 * A deliberately small RESP2 client for the Upstash REST emulation. Hand-written rather than a
 * library because the emulation needs what libraries hide: replies as raw bytes (so binary values
 * survive base64 encoding), simple strings told apart from bulk strings (Upstash sends "OK" unencoded),
 * and failing fast instead of queueing/reconnecting when Redis is gone.
 *
 * One connection, pipelined: each request writes all its commands in a single write, so replies come
 * back in order and a MULTI ... EXEC block is never interleaved with another request's commands.
 */
import { connect as netConnect, type Socket } from "node:net";
import { connect as tlsConnect } from "node:tls";

export class SimpleString {
  constructor(readonly value: string) {}
}

export class ReplyError {
  constructor(readonly message: string) {}
}

export type Reply = null | number | Buffer | SimpleString | ReplyError | Reply[];

/** Redis could not be reached or stopped answering (as opposed to Redis answering with an error). */
export class RedisUnavailableError extends Error {}

export interface RedisConnectionOptions {
  connectTimeoutMs?: number;
  commandTimeoutMs?: number;
}

interface Waiter {
  resolve(reply: Reply): void;
  reject(error: Error): void;
}

export class RedisConnection {
  private socket: Socket | undefined;
  private buffer: Buffer = Buffer.alloc(0);
  private waiters: Waiter[] = [];
  private readonly connectTimeoutMs: number;
  private readonly commandTimeoutMs: number;

  constructor(
    readonly url: string,
    options: RedisConnectionOptions = {},
  ) {
    new URL(url); // throws early on a malformed URL
    this.connectTimeoutMs = options.connectTimeoutMs ?? 1000;
    this.commandTimeoutMs = options.commandTimeoutMs ?? 10_000;
  }

  /** Sends the commands in one write; resolves with one reply per command (Redis errors included). */
  exec(commands: (string | Buffer)[][]): Promise<Reply[]> {
    const socket = this.socket ?? this.open();
    const replies = commands.map(
      () => new Promise<Reply>((resolve, reject) => this.waiters.push({ resolve, reject })),
    );
    socket.write(Buffer.concat(commands.map(encodeCommand)));
    // If Redis stops answering, fail (and drop the connection: its reply stream can no longer be matched).
    const timer = setTimeout(
      () =>
        this.fail(
          socket,
          new RedisUnavailableError(`Redis did not answer within ${this.commandTimeoutMs} ms`),
        ),
      this.commandTimeoutMs,
    );
    return Promise.all(replies).finally(() => clearTimeout(timer));
  }

  close(): void {
    if (this.socket) this.fail(this.socket, new RedisUnavailableError("Redis connection closed"));
  }

  private open(): Socket {
    const url = new URL(this.url);
    const host = url.hostname.replace(/^\[|\]$/g, "") || "127.0.0.1";
    const port = Number(url.port || 6379);
    const socket =
      url.protocol === "rediss:" ? tlsConnect({ host, port, servername: host }) : netConnect({ host, port });
    this.socket = socket;
    this.buffer = Buffer.alloc(0);
    socket.setNoDelay(true);
    const connectTimer = setTimeout(
      () => this.fail(socket, new RedisUnavailableError(`connecting to Redis at ${host}:${port} timed out`)),
      this.connectTimeoutMs,
    );
    socket.once(url.protocol === "rediss:" ? "secureConnect" : "connect", () => clearTimeout(connectTimer));
    socket.on("data", (chunk: Buffer) => {
      if (this.socket === socket) this.onData(chunk);
    });
    socket.on("error", (error) =>
      this.fail(socket, new RedisUnavailableError(`Redis at ${host}:${port}: ${error.message}`)),
    );
    socket.on("close", () => {
      clearTimeout(connectTimer);
      this.fail(socket, new RedisUnavailableError(`Redis at ${host}:${port} closed the connection`));
    });
    this.authenticate(socket, url);
    return socket;
  }

  /** AUTH / SELECT from the URL, queued ahead of everything else on a fresh connection. */
  private authenticate(socket: Socket, url: URL): void {
    const setup: string[][] = [];
    if (url.password) {
      const auth = ["AUTH", decodeURIComponent(url.password)];
      if (url.username) auth.splice(1, 0, decodeURIComponent(url.username));
      setup.push(auth);
    }
    const db = url.pathname.slice(1);
    if (db) setup.push(["SELECT", db]);
    for (const command of setup) {
      this.waiters.push({
        resolve: (reply) => {
          if (reply instanceof ReplyError) {
            this.fail(socket, new RedisUnavailableError(`Redis ${command[0]} failed: ${reply.message}`));
          }
        },
        reject: () => {},
      });
      socket.write(encodeCommand(command));
    }
  }

  private onData(chunk: Buffer): void {
    this.buffer = this.buffer.length ? Buffer.concat([this.buffer, chunk]) : chunk;
    let pos = 0;
    try {
      for (;;) {
        const parsed = parseReply(this.buffer, pos);
        if (!parsed) break;
        pos = parsed[1];
        this.waiters.shift()?.resolve(parsed[0]);
      }
    } catch (error) {
      // Not RESP2 (wrong port?): nothing on this connection can be trusted any more.
      if (this.socket) this.fail(this.socket, new RedisUnavailableError(`bad reply from Redis: ${error}`));
      return;
    }
    this.buffer = this.buffer.subarray(pos);
  }

  /** Drops the connection and rejects everything still waiting on it. */
  private fail(socket: Socket, error: Error): void {
    if (this.socket !== socket) return;
    this.socket = undefined;
    socket.destroy();
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w.reject(error);
  }
}

function encodeCommand(args: (string | Buffer)[]): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`)];
  for (const arg of args) {
    const bytes = typeof arg === "string" ? Buffer.from(arg, "utf8") : arg;
    parts.push(Buffer.from(`$${bytes.length}\r\n`), bytes, Buffer.from("\r\n"));
  }
  return Buffer.concat(parts);
}

/** Parses one RESP2 reply at `pos`; undefined when the buffer does not hold all of it yet. */
function parseReply(buf: Buffer, pos: number): [Reply, number] | undefined {
  const lineEnd = buf.indexOf("\r\n", pos);
  if (lineEnd < 0) return undefined;
  const line = buf.toString("utf8", pos + 1, lineEnd);
  const next = lineEnd + 2;
  switch (buf[pos]) {
    case 0x2b: // '+'
      return [new SimpleString(line), next];
    case 0x2d: // '-'
      return [new ReplyError(line), next];
    case 0x3a: // ':'
      return [Number(line), next];
    case 0x24: {
      // '$'
      const length = Number(line);
      if (length < 0) return [null, next];
      if (buf.length < next + length + 2) return undefined;
      return [Buffer.from(buf.subarray(next, next + length)), next + length + 2];
    }
    case 0x2a: {
      // '*'
      const count = Number(line);
      if (count < 0) return [null, next];
      const items: Reply[] = [];
      let at = next;
      for (let i = 0; i < count; i++) {
        const item = parseReply(buf, at);
        if (!item) return undefined;
        items.push(item[0]);
        at = item[1];
      }
      return [items, at];
    }
    default:
      throw new Error(`unexpected RESP type byte ${buf[pos]}`);
  }
}
