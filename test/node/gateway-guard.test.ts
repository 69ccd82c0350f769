/**
 * What keeps the local gateway (scripts/local/gateway) from being used by anything but the Worker and
 * the Node tools on this machine: web pages (Origin), other addresses than its PostgreSQL, callers of
 * its control endpoints without the token, other interfaces than loopback. And the embedded
 * PostgreSQL behind it has a random password, kept per data directory.
 */
import { mkdtemp, rm, stat, unlink } from "node:fs/promises";
import { request } from "node:http";
import { connect } from "node:net";
import { networkInterfaces, tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import ws from "ws";
import { type Gateway, startGateway } from "../../scripts/local/gateway.ts";
import { freePort } from "../../scripts/local/ports.ts";
import { clusterPassword, PASSWORD_FILE, startLocalPostgres } from "../../scripts/local/postgres.ts";

const databaseUrl = inject("databaseUrl");
const gatewayUrl = inject("gatewayUrl");
const controlToken = inject("gatewayControlToken");
const postgresAddress = new URL(databaseUrl).host;

const FOREIGN_ORIGIN = "https://evil.example";
const selectOne = JSON.stringify({ query: "select 1 as one", params: [] });

/** Raw HTTP through node:http, so the request carries exactly the headers given (Host included). */
function raw(
  url: string,
  options: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<{ status: number; headers: Record<string, unknown>; json: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: options.method ?? "GET", headers: options.headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => {
        const text = Buffer.concat(chunks).toString("utf8");
        resolve({ status: res.statusCode ?? 0, headers: res.headers, json: text ? JSON.parse(text) : {} });
      });
    });
    req.on("error", reject);
    req.end(options.body);
  });
}

/** The HTTP status a WebSocket upgrade gets: 101 when it opens, else the refusal's status. */
function upgradeStatus(url: string, options: ws.ClientOptions = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = new ws(url, options);
    socket.on("unexpected-response", (_req, res) => resolve(res.statusCode ?? 0));
    socket.on("open", () => {
      socket.close();
      resolve(101);
    });
    socket.on("error", (error) => reject(error));
  });
}

const wsUrl = (address: string, base = gatewayUrl) =>
  `${base.replace("http:", "ws:")}/v2?address=${encodeURIComponent(address)}`;

const sqlRequest = (connectionString: string, headers: Record<string, string> = {}) =>
  raw(`${gatewayUrl}/sql`, {
    method: "POST",
    headers: { "Neon-Connection-String": connectionString, ...headers },
    body: selectOne,
  });

describe("gateway: web pages are refused (Origin)", () => {
  it("answers /sql without an Origin (the Worker's and Node's requests)", async () => {
    const res = await sqlRequest(databaseUrl);
    expect(res.status).toBe(200);
    expect(res.json.rows).toEqual([{ one: 1 }]);
  });

  it.each([FOREIGN_ORIGIN, "http://127.0.0.1:8787", "null"])(
    "refuses /sql with Origin %s (403)",
    async (origin) => {
      const res = await sqlRequest(databaseUrl, { Origin: origin });
      expect(res.status).toBe(403);
      expect(res.json.message).toMatch(/Origin/);
    },
  );

  it("refuses the Upstash REST endpoint and control endpoints with an Origin, even with their tokens", async () => {
    const upstash = await raw(`${gatewayUrl}/upstash`, {
      method: "POST",
      headers: { Origin: FOREIGN_ORIGIN, Authorization: `Bearer ${inject("upstashToken")}` },
      body: JSON.stringify(["PING"]),
    });
    expect(upstash.status).toBe(403);
    const stats = await raw(`${gatewayUrl}/__gateway/stats?connection_string=x`, {
      headers: { Origin: FOREIGN_ORIGIN, Authorization: `Bearer ${controlToken}` },
    });
    expect(stats.status).toBe(403);
  });

  it("opens a WebSocket tunnel without an Origin, refuses it with one (403)", async () => {
    expect(await upgradeStatus(wsUrl(postgresAddress))).toBe(101);
    expect(await upgradeStatus(wsUrl(postgresAddress), { origin: FOREIGN_ORIGIN })).toBe(403);
  });

  it("refuses a Host that is not loopback (DNS rebinding), on HTTP and on the upgrade (421)", async () => {
    const res = await sqlRequest(databaseUrl, { Host: `rebind.example:${new URL(gatewayUrl).port}` });
    expect(res.status).toBe(421);
    expect(await upgradeStatus(wsUrl(postgresAddress), { headers: { Host: "rebind.example" } })).toBe(421);
  });
});

describe("gateway: only its own PostgreSQL", () => {
  it.each(["127.0.0.1:9", "example.com:5432", "10.0.0.1:5432", `localhost:${new URL(databaseUrl).port}`])(
    "refuses a WebSocket tunnel to %s (403)",
    async (address) => {
      expect(await upgradeStatus(wsUrl(address))).toBe(403);
    },
  );

  it("refuses /sql for another host:port, naming the one it serves (403)", async () => {
    const res = await sqlRequest("postgres://postgres:postgres@127.0.0.1:9/auth_api");
    expect(res.status).toBe(403);
    expect(res.json.message).toBe(
      `this gateway only reaches PostgreSQL at ${postgresAddress}, not 127.0.0.1:9`,
    );
  });

  it.each(["host=10.0.0.1", "hostaddr=10.0.0.1", "port=9"])(
    "refuses a connection string whose query overrides the address (%s) (403)",
    async (param) => {
      const res = await sqlRequest(`${databaseUrl}?${param}`);
      expect(res.status).toBe(403);
      expect(res.json.message).toMatch(/must not set/);
    },
  );

  describe("a gateway started without a PostgreSQL address", () => {
    let bare: Gateway;
    beforeAll(async () => {
      bare = await startGateway({ port: await freePort() });
    });
    afterAll(async () => {
      await bare.close();
    });

    it("refuses every /sql request and tunnel (403)", async () => {
      const res = await raw(`${bare.url}/sql`, {
        method: "POST",
        headers: { "Neon-Connection-String": databaseUrl },
        body: selectOne,
      });
      expect(res.status).toBe(403);
      expect(res.json.message).toMatch(/without a PostgreSQL address/);
      expect(await upgradeStatus(wsUrl(postgresAddress, bare.url))).toBe(403);
    });
  });

  it("refuses to start with a malformed PostgreSQL address", async () => {
    await expect(startGateway({ port: 0, postgres: "nonsense" })).rejects.toThrow(/HOST:PORT/);
  });
});

describe("gateway: control endpoints need the token", () => {
  let own: Gateway;
  const redisUrl = inject("redisUrl") || "redis://127.0.0.1:6379";
  beforeAll(async () => {
    own = await startGateway({ port: await freePort(), postgres: postgresAddress, redisUrl });
  });
  afterAll(async () => {
    await own.close();
  });
  const statsUrl = () => `${gatewayUrl}/__gateway/stats?connection_string=${encodeURIComponent(databaseUrl)}`;

  it.each([
    ["no Authorization", {}],
    ["a wrong token", { Authorization: "Bearer wrong" }],
    ["the token without Bearer", { Authorization: controlToken }],
    ["the Upstash token", { Authorization: `Bearer ${inject("upstashToken")}` }],
  ])("stats with %s: 401", async (_label, headers: Record<string, string>) => {
    const res = await raw(statsUrl(), { headers });
    expect(res.status).toBe(401);
    expect(res.headers["www-authenticate"]).toMatch(/^Bearer/);
  });

  it("stats with the right token: 200", async () => {
    const res = await raw(statsUrl(), { headers: { Authorization: `Bearer ${controlToken}` } });
    expect(res.status).toBe(200);
    expect(res.json).toHaveProperty("sql_requests");
  });

  it("a redis repoint without the token is refused and changes nothing; with it, it works", async () => {
    const health = async () =>
      (await raw(`${own.url}/__gateway/health`, { headers: { Authorization: `Bearer ${own.controlToken}` } }))
        .json;
    expect(await health()).toEqual({ ok: true, redis: redisUrl });
    for (const headers of [{}, { Authorization: "Bearer wrong" }] as Record<string, string>[]) {
      const res = await raw(`${own.url}/__gateway/redis`, {
        method: "POST",
        headers,
        body: JSON.stringify({ url: "redis://127.0.0.1:9" }),
      });
      expect(res.status).toBe(401);
    }
    expect(await health()).toEqual({ ok: true, redis: redisUrl });
    const res = await raw(`${own.url}/__gateway/redis`, {
      method: "POST",
      headers: { Authorization: `Bearer ${own.controlToken}` },
      body: JSON.stringify({ url: "redis://127.0.0.1:9" }),
    });
    expect(res.status).toBe(200);
    expect(await health()).toEqual({ ok: true, redis: "redis://127.0.0.1:9" });
  });

  it("health needs the token too (it shows the Redis address)", async () => {
    expect((await raw(`${own.url}/__gateway/health`)).status).toBe(401);
  });

  it("each start gets its own random token unless one is given", async () => {
    const other = await startGateway({ port: await freePort() });
    try {
      expect(other.controlToken).toMatch(/^[\w-]{40,}$/);
      expect(other.controlToken).not.toBe(own.controlToken);
      const res = await raw(`${other.url}/__gateway/health`, {
        headers: { Authorization: `Bearer ${own.controlToken}` },
      });
      expect(res.status).toBe(401);
    } finally {
      await other.close();
    }
  });
});

describe("gateway: loopback only", () => {
  it("is bound to 127.0.0.1, and its URL says so", () => {
    // Both the shared gateway (through its URL) and a fresh one.
    expect(new URL(gatewayUrl).hostname).toBe("127.0.0.1");
  });

  it("a fresh gateway listens on 127.0.0.1 and not on the machine's other addresses", async () => {
    const gateway = await startGateway({ port: await freePort() });
    try {
      expect(gateway.host).toBe("127.0.0.1");
      expect(new URL(gateway.url).hostname).toBe("127.0.0.1");
      const external = Object.values(networkInterfaces())
        .flat()
        .filter((i) => i && i.family === "IPv4" && !i.internal)
        .map((i) => i?.address as string);
      for (const address of external) {
        const outcome = await new Promise<string>((resolve) => {
          const socket = connect({ host: address, port: gateway.port });
          const done = (result: string) => {
            socket.destroy();
            resolve(result);
          };
          socket.setTimeout(1000, () => done("timeout"));
          socket.on("connect", () => done("connected"));
          socket.on("error", (error: NodeJS.ErrnoException) => done(error.code ?? "error"));
        });
        expect(outcome, address).not.toBe("connected");
      }
    } finally {
      await gateway.close();
    }
  });
});

describe("embedded PostgreSQL: random passwords", () => {
  it("the throw-away test cluster does not use the old fixed password", () => {
    const { username, password } = new URL(databaseUrl);
    expect(username).toBe("postgres");
    expect(password).not.toBe("postgres");
    expect(password.length).toBeGreaterThanOrEqual(24);
  });

  it("a kept cluster gets a random password in a mode-600 file, reused on restart", {
    timeout: 120_000,
  }, async () => {
    const parent = await mkdtemp(join(tmpdir(), "auth-api-pw-test-"));
    const dataDir = join(parent, "postgres");
    const port = await freePort();
    const canConnect = async (password: string) => {
      const client = new pg.Client({
        host: "127.0.0.1",
        port,
        user: "postgres",
        password,
        database: "auth_api",
      });
      client.on("error", () => {});
      try {
        await client.connect();
        await client.end();
        return true;
      } catch {
        return false;
      }
    };
    try {
      expect(clusterPassword(dataDir)).toBeUndefined();
      const first = await startLocalPostgres({ dataDir, port });
      let password: string;
      try {
        const file = join(dataDir, PASSWORD_FILE);
        expect((await stat(file)).mode & 0o777).toBe(0o600);
        password = clusterPassword(dataDir) as string;
        expect(password).toMatch(/^[\w-]{32}$/);
        expect(new URL(first.url).password).toBe(password);
        expect(await canConnect(password)).toBe(true);
        expect(await canConnect("postgres")).toBe(false);
      } finally {
        await first.stop();
      }

      const second = await startLocalPostgres({ dataDir, port });
      try {
        expect(new URL(second.url).password).toBe(password);
        expect(await canConnect(password)).toBe(true);
        // A cluster from before random passwords (simulated: old password, no file) keeps working.
        const admin = new pg.Client({ connectionString: second.url });
        await admin.connect();
        await admin.query("alter user postgres password 'postgres'");
        await admin.end();
      } finally {
        await second.stop();
      }
      await unlink(join(dataDir, PASSWORD_FILE));

      const legacy = await startLocalPostgres({ dataDir, port });
      try {
        expect(new URL(legacy.url).password).toBe("postgres");
        expect(await canConnect("postgres")).toBe(true);
        expect(clusterPassword(dataDir)).toBe("postgres");
        expect((await stat(join(dataDir, PASSWORD_FILE))).mode & 0o777).toBe(0o600);
      } finally {
        await legacy.stop();
      }
    } finally {
      await rm(parent, { recursive: true, force: true });
    }
  });

  it("two throw-away clusters get different passwords", { timeout: 60_000 }, async () => {
    const one = await startLocalPostgres({ port: await freePort() });
    try {
      expect(new URL(one.url).password).not.toBe(new URL(databaseUrl).password);
    } finally {
      await one.stop();
    }
  });
});
