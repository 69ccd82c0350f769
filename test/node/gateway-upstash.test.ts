/**
 * The local gateway's Upstash REST emulation (scripts/local/gateway/upstash-rest.ts), driven by the
 * real @upstash/redis client and by raw fetch to pin the wire format. The Redis-backed cases run
 * only when a real Redis answered at start-up (REQUIRE_REDIS=1 makes its absence an error).
 */
import { createHash, randomUUID } from "node:crypto";
import { Ratelimit } from "@upstash/ratelimit";
import { Redis, type RedisConfigNodejs } from "@upstash/redis";
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from "vitest";
import { type Gateway, startGateway } from "../../scripts/local/gateway.ts";
import { freePort } from "../../scripts/local/ports.ts";

const gatewayUrl = inject("gatewayUrl");
const redisUrl = inject("redisUrl");
const token = inject("upstashToken");

const b64 = (text: string) => Buffer.from(text, "utf8").toString("base64");
const sha1 = (text: string) => createHash("sha1").update(text).digest("hex");

interface RawAnswer {
  status: number;
  json: any;
}

/** POSTs a command (or commands) as the client does; `encoding: false` drops `Upstash-Encoding`. */
async function raw(
  base: string,
  path: "" | "/pipeline" | "/multi-exec",
  body: unknown,
  opts: { encoding?: boolean; auth?: string | null } = {},
): Promise<RawAnswer> {
  const headers: Record<string, string> = { "Content-Type": "application/json" };
  const auth = opts.auth === undefined ? `Bearer ${token}` : opts.auth;
  if (auth !== null) headers.Authorization = auth;
  if (opts.encoding !== false) headers["Upstash-Encoding"] = "base64";
  const res = await fetch(`${base}/upstash${path}`, {
    method: "POST",
    headers,
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
  return { status: res.status, json: await res.json() };
}

const client = (base = gatewayUrl, extra: Partial<RedisConfigNodejs> = {}) =>
  new Redis({ url: `${base}/upstash`, token, enableTelemetry: false, retry: false, ...extra });

describe.runIf(redisUrl)("upstash REST over a real Redis", () => {
  let keys: string[] = [];
  /** A key unique to this run, deleted after each test. */
  const key = (name: string) => {
    const k = `gwtest:${randomUUID()}:${name}`;
    keys.push(k);
    return k;
  };
  afterEach(async () => {
    if (keys.length) await raw(gatewayUrl, "", ["DEL", ...keys]);
    keys = [];
  });

  describe("strings", () => {
    const values = ["plain", "héllo ✓ 🎉 ünï", "ctrl \u0000\u0001\u001f and \u00ff bytes", ""];

    it.each(values)(
      "stores and reads %j: base64 on the wire by default, verbatim without it",
      async (value) => {
        const k = key("s");
        const set = await raw(gatewayUrl, "", ["SET", k, value]);
        // The status reply OK is sent verbatim even in base64 mode (the client's decoder expects that).
        expect(set).toEqual({ status: 200, json: { result: "OK" } });
        expect(await raw(gatewayUrl, "", ["GET", k])).toEqual({ status: 200, json: { result: b64(value) } });
        expect(await raw(gatewayUrl, "", ["GET", k], { encoding: false })).toEqual({
          status: 200,
          json: { result: value },
        });
        expect(await client().get(k)).toBe(value);
        expect(await client(gatewayUrl, { responseEncoding: false }).get(k)).toBe(value);
      },
    );

    it("base64-encodes the exact bytes of non-UTF-8 values", async () => {
      const k = key("bin");
      await raw(gatewayUrl, "", [
        "EVAL",
        "return redis.call('SET', KEYS[1], string.char(0, 255, 128, 10))",
        1,
        k,
      ]);
      const got = await raw(gatewayUrl, "", ["GET", k]);
      expect(Buffer.from(got.json.result, "base64")).toEqual(Buffer.from([0, 255, 128, 10]));
    });

    it("base64-encodes status replies other than OK (PING, TYPE)", async () => {
      const k = key("t");
      await raw(gatewayUrl, "", ["SET", k, "x"]);
      expect((await raw(gatewayUrl, "", ["PING"])).json).toEqual({ result: b64("PONG") });
      expect((await raw(gatewayUrl, "", ["TYPE", k])).json).toEqual({ result: b64("string") });
      expect((await raw(gatewayUrl, "", ["TYPE", k], { encoding: false })).json).toEqual({
        result: "string",
      });
      expect(await client().ping()).toBe("PONG");
      expect(await client().type(k)).toBe("string");
    });

    it("sends numbers and booleans in commands as their text", async () => {
      const k = key("n");
      await raw(gatewayUrl, "", ["SET", k, 12.5]);
      expect((await raw(gatewayUrl, "", ["GET", k], { encoding: false })).json).toEqual({ result: "12.5" });
      await raw(gatewayUrl, "", ["SET", k, true]);
      expect((await raw(gatewayUrl, "", ["GET", k], { encoding: false })).json).toEqual({ result: "true" });
    });
  });

  describe("numbers, nil and arrays", () => {
    it("answers integers as JSON numbers in both modes", async () => {
      const k = key("i");
      expect((await raw(gatewayUrl, "", ["INCR", k])).json).toEqual({ result: 1 });
      expect((await raw(gatewayUrl, "", ["INCRBY", k, 41], { encoding: false })).json).toEqual({
        result: 42,
      });
      expect(await client().incr(k)).toBe(43);
      // INCRBYFLOAT answers a bulk string, which is encoded like any string.
      expect((await raw(gatewayUrl, "", ["INCRBYFLOAT", k, "0.5"])).json).toEqual({ result: b64("43.5") });
      expect(await client().incrbyfloat(k, 1)).toBe(44.5);
    });

    it("answers nil as null", async () => {
      const k = key("missing");
      expect((await raw(gatewayUrl, "", ["GET", k])).json).toEqual({ result: null });
      expect((await raw(gatewayUrl, "", ["GET", k], { encoding: false })).json).toEqual({ result: null });
      expect(await client().get(k)).toBeNull();
      expect(await client().hget(k, "f")).toBeNull();
    });

    it("answers LRANGE and HGETALL as arrays with each element encoded", async () => {
      const list = key("l");
      const hash = key("h");
      await raw(gatewayUrl, "", ["RPUSH", list, "a", "ü", "c d"]);
      await raw(gatewayUrl, "", ["HSET", hash, "f1", "v1", "f2", "ünï"]);
      expect((await raw(gatewayUrl, "", ["LRANGE", list, 0, -1])).json).toEqual({
        result: [b64("a"), b64("ü"), b64("c d")],
      });
      expect((await raw(gatewayUrl, "", ["LRANGE", list, 0, -1], { encoding: false })).json).toEqual({
        result: ["a", "ü", "c d"],
      });
      expect((await raw(gatewayUrl, "", ["HGETALL", hash])).json).toEqual({
        result: [b64("f1"), b64("v1"), b64("f2"), b64("ünï")],
      });
      expect((await raw(gatewayUrl, "", ["LRANGE", key("empty"), 0, -1])).json).toEqual({ result: [] });
      expect(await client().lrange(list, 0, -1)).toEqual(["a", "ü", "c d"]);
      expect(await client().hgetall(hash)).toEqual({ f1: "v1", f2: "ünï" });
    });

    it("keeps nested arrays, numbers and nils inside arrays", async () => {
      const script = "return {1, 'a', {2, 'b', {}}, false}";
      expect((await raw(gatewayUrl, "", ["EVAL", script, 0])).json).toEqual({
        result: [1, b64("a"), [2, b64("b"), []], null],
      });
      expect(await client().eval(script, [], [])).toEqual([1, "a", [2, "b", []], null]);
    });
  });

  describe("errors", () => {
    it("a wrong-type command answers 400 with the Redis error, and the client throws it", async () => {
      const k = key("wrongtype");
      await raw(gatewayUrl, "", ["SET", k, "x"]);
      const answer = await raw(gatewayUrl, "", ["LPUSH", k, "y"]);
      expect(answer.status).toBe(400);
      expect(answer.json).toEqual({
        error: "WRONGTYPE Operation against a key holding the wrong kind of value",
      });
      await expect(client(gatewayUrl, { enableAutoPipelining: false }).lpush(k, "y")).rejects.toThrow(
        /WRONGTYPE/,
      );
      await expect(client().lpush(k, "y")).rejects.toThrow(/WRONGTYPE/); // auto-pipelined path
    });

    it("an unknown command answers 400 ERR", async () => {
      const answer = await raw(gatewayUrl, "", ["NOSUCHCOMMAND", "x"]);
      expect(answer.status).toBe(400);
      expect(answer.json.error).toMatch(/^ERR unknown command/);
    });

    it("refuses commands that would block or change the shared connection, without hanging", async () => {
      for (const command of [["BLPOP", key("b"), 0], ["SELECT", 1], ["SUBSCRIBE", "ch"], ["MULTI"]]) {
        const answer = await raw(gatewayUrl, "", command);
        expect(answer.status).toBe(400);
        expect(answer.json.error).toMatch(/^ERR Command is not available/);
      }
    });

    it.each([
      ["malformed JSON", "{nope"],
      ["an empty command", []],
      ["an object", { command: "GET" }],
      ["a nested argument", ["SET", "k", { a: 1 }]],
    ])("answers 400 JSON to %s", async (_, body) => {
      const answer = await raw(gatewayUrl, "", body);
      expect(answer.status).toBe(400);
      expect(answer.json.error).toMatch(/^ERR /);
    });
  });

  describe("pipeline and multi-exec", () => {
    it("a pipeline answers one entry per command, the failing one as {error}", async () => {
      const s = key("s");
      const l = key("l");
      const answer = await raw(gatewayUrl, "/pipeline", [
        ["SET", s, "v"],
        ["LPUSH", s, "x"],
        ["RPUSH", l, "a", "b"],
        ["GET", s],
      ]);
      expect(answer).toEqual({
        status: 200,
        json: [
          { result: "OK" },
          { error: "WRONGTYPE Operation against a key holding the wrong kind of value" },
          { result: 2 },
          { result: b64("v") },
        ],
      });

      const p = client().pipeline();
      p.set(s, "w");
      p.lpush(s, "x");
      p.get(s);
      await expect(p.exec()).rejects.toThrow(/Command 2 \[ lpush \] failed: WRONGTYPE/);
      const q = client().pipeline();
      q.get(s);
      q.lpush(s, "x");
      const kept = await q.exec({ keepErrors: true });
      expect(kept[0]).toEqual({ result: "w", error: undefined });
      expect(kept[1]?.error).toMatch(/WRONGTYPE/);
    });

    it("multi-exec runs the commands in one transaction and answers per command", async () => {
      const counter = key("c");
      const list = key("l");
      const answer = await raw(gatewayUrl, "/multi-exec", [
        ["SET", counter, "1"],
        ["INCR", counter],
        ["RPUSH", list, "x"],
        ["LPUSH", counter, "not a list"],
      ]);
      // Runtime errors inside EXEC fail alone (Redis semantics); the rest is applied.
      expect(answer).toEqual({
        status: 200,
        json: [
          { result: "OK" },
          { result: 2 },
          { result: 1 },
          { error: "WRONGTYPE Operation against a key holding the wrong kind of value" },
        ],
      });
      const tx = client().multi();
      tx.incr(counter);
      tx.get(counter);
      expect(await tx.exec()).toEqual([3, 3]);
    });

    it("multi-exec with a command Redis rejects at queue time applies nothing", async () => {
      const k = key("never");
      const answer = await raw(gatewayUrl, "/multi-exec", [["SET", k, "1"], ["NOSUCHCOMMAND"]]);
      expect(answer.status).toBe(400);
      expect(answer.json.error).toMatch(/^EXECABORT/);
      expect((await raw(gatewayUrl, "", ["EXISTS", k])).json).toEqual({ result: 0 });
    });

    it("keeps concurrent requests' replies apart on the shared connection", async () => {
      const ks = Array.from({ length: 40 }, (_, i) => key(`c${i}`));
      await Promise.all(ks.map((k, i) => raw(gatewayUrl, "", ["SET", k, `v${i}`])));
      const got = await Promise.all(ks.map((k) => client().get(k)));
      expect(got).toEqual(ks.map((_, i) => `v${i}`));
    });
  });

  describe("scripts", () => {
    it("EVALSHA of an unknown script answers NOSCRIPT", async () => {
      const unknown = sha1(`return '${randomUUID()}'`);
      const answer = await raw(gatewayUrl, "", ["EVALSHA", unknown, 0]);
      expect(answer.status).toBe(400);
      expect(answer.json.error).toMatch(/^NOSCRIPT/);
      await expect(client().evalsha(unknown, [], [])).rejects.toThrow(/NOSCRIPT/);
    });

    it("scriptLoad returns the script's SHA1, then evalsha and eval run it", async () => {
      const k = key("script");
      const script = `redis.call('SET', KEYS[1], ARGV[1]) return {redis.call('GET', KEYS[1]), '${randomUUID()}'}`;
      const redis = client();
      expect(await redis.scriptLoad(script)).toBe(sha1(script));
      const [value] = (await redis.evalsha(sha1(script), [k], ["from evalsha"])) as string[];
      expect(value).toBe("from evalsha");
      const [again] = (await redis.eval(script, [k], ["from eval"])) as string[];
      expect(again).toBe("from eval");
    });

    it("runs scripts carrying Upstash-only shebang flags (as @upstash/ratelimit's do) under their own SHA", async () => {
      const k = key("flagged");
      const script = `#!lua flags=allow-key-locking\nreturn redis.call('INCR', KEYS[1]) -- ${randomUUID()}`;
      expect(await client().eval(script, [k], [])).toBe(1);
      expect(await client().scriptLoad(script)).toBe(sha1(script));
      expect(await client().evalsha(sha1(script), [k], [])).toBe(2);
      expect((await raw(gatewayUrl, "", ["SCRIPT", "EXISTS", sha1(script)])).json).toEqual({ result: [1] });
    });

    it("@upstash/ratelimit limits through the gateway", async () => {
      const limiter = new Ratelimit({
        redis: client(),
        limiter: Ratelimit.slidingWindow(2, "30 s"),
        prefix: key("ratelimit"),
      });
      const results = [];
      for (let i = 0; i < 3; i++) results.push((await limiter.limit("someone")).success);
      expect(results).toEqual([true, true, false]);
      expect((await limiter.limit("someone else")).success).toBe(true);
    });
  });

  describe("authentication", () => {
    it.each([
      ["a wrong token", "Bearer wrong-token"],
      ["no Bearer prefix", token],
      ["no Authorization header", null],
    ])("answers 401 to %s", async (_, auth) => {
      const answer = await raw(gatewayUrl, "", ["PING"], { auth });
      expect(answer.status).toBe(401);
      expect(answer.json).toEqual({ error: "Unauthorized" });
    });

    it("the client throws on a wrong token", async () => {
      const wrong = new Redis({
        url: `${gatewayUrl}/upstash`,
        token: "wrong",
        enableTelemetry: false,
        retry: false,
      });
      await expect(wrong.get(key("x"))).rejects.toThrow(/Unauthorized/);
    });
  });

  describe("Redis outage (POST /__gateway/redis)", () => {
    // A private gateway: repointing the shared one would break other test files running meanwhile.
    let gateway: Gateway;
    beforeAll(async () => {
      gateway = await startGateway({ port: await freePort(), redisUrl, upstashToken: token });
    });
    afterAll(async () => {
      await gateway.close();
    });

    const repoint = async (url: string) => {
      const res = await fetch(`${gateway.url}/__gateway/redis`, {
        method: "POST",
        headers: { Authorization: `Bearer ${gateway.controlToken}` },
        body: JSON.stringify({ url }),
      });
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ url, delay_ms: 0 });
    };

    it("fails fast while Redis is dead, then recovers when pointed back", async () => {
      const k = key("outage");
      const redis = client(gateway.url);
      await redis.set(k, "before");

      await repoint("redis://127.0.0.1:9");
      for (const attempt of [
        () => redis.get(k),
        () => redis.set(k, "during"),
        () => redis.pipeline().get(k).exec(),
      ]) {
        const started = Date.now();
        await expect(attempt()).rejects.toThrow(/Redis unavailable/);
        expect(Date.now() - started).toBeLessThan(2000);
      }
      const answer = await raw(gateway.url, "", ["GET", k]);
      expect(answer.status).toBe(503);
      expect(answer.json.error).toMatch(/^ERR Redis unavailable/);

      await repoint(redisUrl);
      expect(await redis.get(k)).toBe("before");
    });

    it("delays answers by delay_ms (slow-Redis tests), and stops when set back to 0", async () => {
      const post = (body: unknown) =>
        fetch(`${gateway.url}/__gateway/redis`, {
          method: "POST",
          headers: { Authorization: `Bearer ${gateway.controlToken}` },
          body: JSON.stringify(body),
        });
      expect(await (await post({ url: redisUrl, delay_ms: 300 })).json()).toEqual({
        url: redisUrl,
        delay_ms: 300,
      });
      const redis = client(gateway.url);
      let started = Date.now();
      expect(await redis.ping()).toBe("PONG");
      expect(Date.now() - started).toBeGreaterThanOrEqual(290);
      await post({ url: redisUrl, delay_ms: 0 });
      started = Date.now();
      expect(await redis.ping()).toBe("PONG");
      expect(Date.now() - started).toBeLessThan(290);
    });

    it("rejects a repoint body without a redis:// URL, or with a bad delay", async () => {
      for (const body of [
        "{",
        JSON.stringify({}),
        JSON.stringify({ url: "http://127.0.0.1:6379" }),
        JSON.stringify({ url: redisUrl, delay_ms: -1 }),
        JSON.stringify({ url: redisUrl, delay_ms: "slow" }),
      ]) {
        const res = await fetch(`${gateway.url}/__gateway/redis`, {
          method: "POST",
          headers: { Authorization: `Bearer ${gateway.controlToken}` },
          body,
        });
        expect(res.status).toBe(400);
      }
      expect(await client(gateway.url).ping()).toBe("PONG");
    });
  });
});

describe("upstash REST without Redis", () => {
  let gateway: Gateway;
  beforeAll(async () => {
    gateway = await startGateway({ port: await freePort(), upstashToken: token });
  });
  afterAll(async () => {
    await gateway.close();
  });

  it.each(["", "/pipeline", "/multi-exec"] as const)("/upstash%s answers 503 JSON", async (path) => {
    const answer = await raw(gateway.url, path, path ? [["PING"]] : ["PING"]);
    expect(answer.status).toBe(503);
    expect(answer.json.error).toMatch(/without a Redis URL/);
  });

  it("the client throws instead of hanging", async () => {
    await expect(client(gateway.url).get("k")).rejects.toThrow(/without a Redis URL/);
  });
});
