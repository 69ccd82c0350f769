/**
 * Upstash's Redis REST protocol, as spoken by @upstash/redis 1.39 (and @upstash/ratelimit on top),
 * served from a real Redis. Mounted under `/upstash` by the gateway, so the client's base URL is
 * `http://127.0.0.1:PORT/upstash`; the client joins `[baseUrl, ...path].join("/")`, i.e. it posts to:
 * - `/upstash`            body `["SET", "k", "v"]`           -> `{result}`, or HTTP 400 `{error}`;
 * - `/upstash/pipeline`   body `[["SET", ...], ["GET", ...]]` -> `[{result}|{error}, ...]` (HTTP 200);
 * - `/upstash/multi-exec` same, run inside MULTI/EXEC.
 * `Authorization: Bearer TOKEN` is required (401 otherwise). With `Upstash-Encoding: base64` (the
 * client's default) every string in a result is base64 of its bytes, except the status reply "OK",
 * which the client's decoder expects verbatim; integers stay numbers and nil stays null. The client
 * throws on any non-2xx answer using the JSON body's `error`, and on `{error}` entries.
 */
import { createHash } from "node:crypto";
import type { HttpAnswer } from "./neon-http.ts";
import {
  RedisConnection,
  RedisUnavailableError,
  type Reply,
  ReplyError,
  SimpleString,
} from "./redis-client.ts";

type Headers = Record<string, string | string[] | undefined>;

/** A command ready for Redis, plus how to adjust its reply; or an error answered without Redis. */
type Prepared = { args: string[]; post?: (reply: Reply) => Reply } | { error: string };

/**
 * Commands that would stall or change the state of the one connection all requests share. Upstash
 * offers transactions through `/multi-exec` only, and no pub/sub or blocking reads over this API.
 */
const UNSUPPORTED = new Set([
  "SUBSCRIBE",
  "PSUBSCRIBE",
  "SSUBSCRIBE",
  "UNSUBSCRIBE",
  "PUNSUBSCRIBE",
  "SUNSUBSCRIBE",
  "MONITOR",
  "SELECT",
  "MULTI",
  "EXEC",
  "DISCARD",
  "WATCH",
  "UNWATCH",
  "QUIT",
  "RESET",
  "HELLO",
  "AUTH",
  "SYNC",
  "PSYNC",
  "BLPOP",
  "BRPOP",
  "BRPOPLPUSH",
  "BLMOVE",
  "BLMPOP",
  "BZPOPMIN",
  "BZPOPMAX",
  "BZMPOP",
  "WAIT",
  "WAITAOF",
]);

/** Script flags Redis itself knows; @upstash/ratelimit's scripts also carry Upstash's `allow-key-locking`. */
const REDIS_SCRIPT_FLAGS = new Set([
  "no-writes",
  "allow-oom",
  "allow-stale",
  "no-cluster",
  "allow-cross-slot-keys",
]);

class BadRequest extends Error {}

export class UpstashRestHandler {
  private redis: RedisConnection | undefined;
  /**
   * SHA1 the client computed for a script -> SHA1 of the script Redis actually stores (after we
   * removed flags Redis rejects). Lets `EVALSHA <client sha>` hit the script cache as on Upstash.
   */
  private readonly scriptShas = new Map<string, string>();

  constructor(
    redisUrl: string | undefined,
    private readonly token: string,
    private readonly log: (line: string) => void,
  ) {
    if (redisUrl) this.redis = new RedisConnection(redisUrl);
  }

  /** Points the emulation at another Redis (tests use a dead port to simulate an outage). */
  setRedisUrl(url: string): void {
    const next = new RedisConnection(url);
    if (!/^rediss?:$/.test(new URL(url).protocol)) throw new Error("url must be redis:// or rediss://");
    this.redis?.close();
    this.redis = next;
    this.log(`upstash: Redis target is now ${url}`);
  }

  get redisUrl(): string | undefined {
    return this.redis?.url;
  }

  close(): void {
    this.redis?.close();
  }

  /** `subpath` is what follows `/upstash` in the request path. */
  async handle(method: string, subpath: string, headers: Headers, body: Buffer): Promise<HttpAnswer> {
    const redis = this.redis;
    if (!redis) {
      return { status: 503, json: { error: "ERR the local gateway was started without a Redis URL" } };
    }
    const auth = headers.authorization;
    if (auth !== `Bearer ${this.token}`) return { status: 401, json: { error: "Unauthorized" } };
    if (method !== "POST") return { status: 405, json: { error: "ERR only POST is supported" } };
    const base64 = String(headers["upstash-encoding"] ?? "").toLowerCase() === "base64";
    try {
      const parsed = parseJson(body);
      switch (subpath.replace(/\/+$/, "")) {
        case "":
          return await this.single(redis, toCommand(parsed), base64);
        case "/pipeline":
          return await this.pipeline(redis, toCommands(parsed), base64);
        case "/multi-exec":
          return await this.multiExec(redis, toCommands(parsed), base64);
        default:
          return { status: 404, json: { error: `ERR unknown endpoint /upstash${subpath}` } };
      }
    } catch (error) {
      if (error instanceof BadRequest) return { status: 400, json: { error: `ERR ${error.message}` } };
      if (error instanceof RedisUnavailableError) {
        return { status: 503, json: { error: `ERR Redis unavailable: ${error.message}` } };
      }
      throw error;
    }
  }

  private async single(redis: RedisConnection, command: string[], base64: boolean): Promise<HttpAnswer> {
    const prepared = this.prepare(command);
    if ("error" in prepared) return { status: 400, json: { error: prepared.error } };
    const [reply = null] = await redis.exec([prepared.args]);
    const entry = this.entry(prepared, reply, base64);
    return { status: "error" in entry ? 400 : 200, json: entry };
  }

  private async pipeline(redis: RedisConnection, commands: string[][], base64: boolean): Promise<HttpAnswer> {
    const prepared = commands.map((c) => this.prepare(c));
    const toSend = prepared.flatMap((p) => ("error" in p ? [] : [p.args]));
    const replies = toSend.length ? await redis.exec(toSend) : [];
    let i = 0;
    const json = prepared.map((p) =>
      "error" in p ? { error: p.error } : this.entry(p, replies[i++] ?? null, base64),
    );
    return { status: 200, json };
  }

  private async multiExec(
    redis: RedisConnection,
    commands: string[][],
    base64: boolean,
  ): Promise<HttpAnswer> {
    const prepared = commands.map((c) => this.prepare(c));
    const rejected = prepared.find((p) => "error" in p);
    if (rejected && "error" in rejected) return { status: 400, json: { error: rejected.error } };
    const ready = prepared as Exclude<Prepared, { error: string }>[];
    const replies = await redis.exec([["MULTI"], ...ready.map((p) => p.args), ["EXEC"]]);
    const exec = replies[replies.length - 1];
    // Queue-time errors (unknown command, wrong arity) make Redis discard the whole transaction.
    if (exec instanceof ReplyError) return { status: 400, json: { error: exec.message } };
    if (!Array.isArray(exec)) return { status: 500, json: { error: "ERR transaction was aborted" } };
    return { status: 200, json: ready.map((p, i) => this.entry(p, exec[i] ?? null, base64)) };
  }

  private entry(prepared: Exclude<Prepared, { error: string }>, reply: Reply, base64: boolean) {
    if (reply instanceof ReplyError) return { error: reply.message };
    return { result: encodeReply(prepared.post ? prepared.post(reply) : reply, base64) };
  }

  /** Refuses commands that would break the shared connection; adapts scripts for a plain Redis. */
  private prepare(command: string[]): Prepared {
    const name = (command[0] ?? "").toUpperCase();
    const sub = (command[1] ?? "").toUpperCase();
    const blockingRead =
      (name === "XREAD" || name === "XREADGROUP") && command.some((a) => a.toUpperCase() === "BLOCK");
    if (UNSUPPORTED.has(name) || blockingRead || (name === "CLIENT" && sub === "REPLY")) {
      return { error: `ERR Command is not available: '${command[0]}' (not supported by the local gateway)` };
    }
    const args = [...command];
    if ((name === "EVAL" || name === "EVAL_RO") && args[1] !== undefined) {
      args[1] = this.localScript(args[1]);
    } else if ((name === "EVALSHA" || name === "EVALSHA_RO") && args[1] !== undefined) {
      args[1] = this.scriptShas.get(args[1].toLowerCase()) ?? args[1];
    } else if (name === "SCRIPT" && sub === "LOAD" && args[2] !== undefined) {
      const clientSha = sha1(args[2]);
      args[2] = this.localScript(args[2]);
      // Answer with the SHA the client computed from its own text, as Upstash does.
      return { args, post: (reply) => (Buffer.isBuffer(reply) ? Buffer.from(clientSha) : reply) };
    } else if (name === "SCRIPT" && sub === "EXISTS") {
      for (let i = 2; i < args.length; i++) {
        const sha = args[i] as string;
        args[i] = this.scriptShas.get(sha.toLowerCase()) ?? sha;
      }
    }
    return { args };
  }

  /**
   * Redis 7 rejects shebang flags it does not know ("Unexpected flag in script shebang"), and
   * @upstash/ratelimit's scripts start with `#!lua flags=allow-key-locking`. Drop unknown flags; when
   * none are left, turn the shebang line into a Lua comment (which also suits Redis 6).
   */
  private localScript(script: string): string {
    const newline = script.indexOf("\n");
    const firstLine = newline < 0 ? script : script.slice(0, newline);
    if (!firstLine.startsWith("#!")) return script;
    const words = firstLine.split(/\s+/);
    const flagsAt = words.findIndex((w) => w.startsWith("flags="));
    if (flagsAt < 0) return script;
    const flags = (words[flagsAt] as string).slice("flags=".length).split(",").filter(Boolean);
    const known = flags.filter((f) => REDIS_SCRIPT_FLAGS.has(f));
    if (known.length === flags.length) return script;
    let line: string;
    if (known.length) {
      words[flagsAt] = `flags=${known.join(",")}`;
      line = words.join(" ");
    } else {
      line = `--${firstLine}`;
    }
    const local = line + script.slice(firstLine.length);
    this.scriptShas.set(sha1(script), sha1(local));
    return local;
  }
}

function sha1(text: string): string {
  return createHash("sha1").update(text, "utf8").digest("hex");
}

function parseJson(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString("utf8"));
  } catch {
    throw new BadRequest("request body is not valid JSON");
  }
}

/** Upstash accepts strings, numbers and booleans as arguments and sends them as their text. */
function toCommand(value: unknown): string[] {
  if (!Array.isArray(value) || value.length === 0)
    throw new BadRequest("a command must be a non-empty JSON array");
  return value.map((arg) => {
    if (typeof arg === "string") return arg;
    if (typeof arg === "number" || typeof arg === "boolean") return String(arg);
    throw new BadRequest(
      `command arguments must be strings, numbers or booleans, got ${JSON.stringify(arg)}`,
    );
  });
}

function toCommands(value: unknown): string[][] {
  if (!Array.isArray(value) || value.length === 0) {
    throw new BadRequest("a pipeline must be a non-empty JSON array of commands");
  }
  return value.map(toCommand);
}

function encodeReply(reply: Reply, base64: boolean): unknown {
  if (reply === null || typeof reply === "number") return reply;
  if (Buffer.isBuffer(reply)) return base64 ? reply.toString("base64") : reply.toString("utf8");
  if (reply instanceof SimpleString) {
    return base64 && reply.value !== "OK" ? Buffer.from(reply.value).toString("base64") : reply.value;
  }
  // An error nested in an array (e.g. returned by a script inside a table): its text.
  if (reply instanceof ReplyError) return reply.message;
  return reply.map((r) => encodeReply(r, base64));
}
