/**
 * The reference peer (Better Auth on a Hono Worker, `../shared/peers/better-auth`), run beside the
 * product on the same database path: its `DB_DRIVER=neon-http` pointed at our gateway, its schema in
 * a database of its own in our embedded PostgreSQL. Its sources are copied (never changed) to
 * `.data/bench/peer-better-auth`, where its runtime dependencies are installed from its own lockfile;
 * the Worker itself runs on *our* wrangler, so both sides share the same runtime.
 */
import { execFileSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import pg from "pg";
import { BENCH_PASSWORD } from "./seed.ts";

export const PEER_DATABASE = "peer_better_auth";

/** Copies the peer's sources to `target` and installs its runtime dependencies when they changed. */
export function preparePeer(source: string, target: string, say: (line: string) => void): void {
  if (!existsSync(join(source, "package.json")) || !existsSync(join(source, "src/index.ts")))
    throw new Error(`--peer: no Better Auth peer in ${source} (package.json, src/index.ts); see --peer-dir`);
  const lock = readFileSync(join(source, "package-lock.json"), "utf8");
  const stamp = join(target, ".installed-lock.json");
  const installed = existsSync(stamp) && readFileSync(stamp, "utf8") === lock;
  // Fresh sources every run; node_modules is kept while the lockfile is the same.
  mkdirSync(target, { recursive: true });
  for (const entry of readdirSync(target))
    if (!["node_modules", ".installed-lock.json"].includes(entry))
      rmSync(join(target, entry), { recursive: true });
  for (const entry of readdirSync(source))
    if (!["node_modules", "dist", ".wrangler"].includes(entry))
      cpSync(join(source, entry), join(target, entry), { recursive: true });
  execFileSync("chmod", ["-R", "u+w", target]);
  if (!installed) {
    say(`installing the peer's runtime dependencies in ${target} (npm install --omit=dev)`);
    // Not `npm ci`: the peer's lock lacks workerd's other-platform packages (its README says so).
    execFileSync("npm", ["install", "--omit=dev", "--no-audit", "--no-fund"], {
      cwd: target,
      stdio: "ignore",
    });
    cpSync(join(source, "package-lock.json"), stamp);
  }
}

/** The installed better-auth version in the copy. */
export function betterAuthVersion(target: string): string {
  try {
    return (
      JSON.parse(readFileSync(join(target, "node_modules/better-auth/package.json"), "utf8")) as {
        version: string;
      }
    ).version;
  } catch {
    return "?";
  }
}

/** Creates the peer's database next to ours and applies its drizzle migrations. */
export async function createPeerDatabase(ourUrl: string, peerDir: string): Promise<string> {
  const admin = new pg.Client({ connectionString: ourUrl });
  await admin.connect();
  try {
    await admin.query(`create database ${PEER_DATABASE}`);
  } finally {
    await admin.end();
  }
  const url = new URL(ourUrl);
  url.pathname = `/${PEER_DATABASE}`;
  const client = new pg.Client({ connectionString: url.toString() });
  await client.connect();
  try {
    const dir = join(peerDir, "drizzle");
    for (const file of readdirSync(dir)
      .filter((f) => f.endsWith(".sql"))
      .sort())
      await client.query(readFileSync(join(dir, file), "utf8"));
  } finally {
    await client.end();
  }
  return url.toString();
}

const peerEmail = (n: number) => `peer_user_${n}@example.com`;

/** What the peer's scenarios send. */
export interface PeerSeed {
  /** E-mail addresses that take turns signing in (password BENCH_PASSWORD). */
  loginEmails: string[];
}

async function post(baseUrl: string, path: string, body: unknown): Promise<Response> {
  // Better Auth's CSRF check wants the app's Origin on these POSTs, as a browser on the app sends it.
  return fetch(`${baseUrl}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", origin: baseUrl },
    body: JSON.stringify(body),
  });
}

/**
 * Signs one account up through the peer (so the password hash is Better Auth's own), then copies it
 * by SQL into `users - 1` more accounts (user + credential account rows, as sign-up writes them).
 */
export async function seedPeer(options: {
  databaseUrl: string;
  baseUrl: string;
  users: number;
}): Promise<PeerSeed> {
  const res = await post(options.baseUrl, "/api/auth/sign-up/email", {
    email: peerEmail(1),
    password: BENCH_PASSWORD,
    name: "Peer User 1",
    username: "peer_user_1",
  });
  if (!res.ok) throw new Error(`peer sign-up: HTTP ${res.status} ${await res.text()}`);
  const client = new pg.Client({ connectionString: options.databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ id: string; password: string }>(
      `select u.id, a.password from "user" u join account a on a.user_id = u.id and a.provider_id = 'credential'
       where u.email = $1`,
      [peerEmail(1)],
    );
    const template = rows[0];
    if (!template) throw new Error("the peer's sign-up left no credential account");
    const ids = Array.from({ length: options.users - 1 }, () => randomUUID().replaceAll("-", ""));
    await client.query(
      `insert into "user" (id, name, email, email_verified, created_at, updated_at, username, display_username, role)
       select id, 'Peer User ' || n, 'peer_user_' || n || '@example.com', false, now(), now(),
              'peer_user_' || n, 'peer_user_' || n, u.role
       from unnest($1::text[]) with ordinality as t(id, k), lateral (select k + 1 as n) x,
            (select role from "user" where id = $2) u`,
      [ids, template.id],
    );
    await client.query(
      `insert into account (id, account_id, provider_id, user_id, password, created_at, updated_at)
       select 'acc' || id, id, 'credential', id, $2, now(), now() from unnest($1::text[]) as t(id)`,
      [ids, template.password],
    );
  } finally {
    await client.end();
  }
  return { loginEmails: Array.from({ length: options.users }, (_, i) => peerEmail(i + 1)) };
}

/** Signs `email` in and returns the session cookie (`name=value; ...`) Better Auth set. */
export async function peerSessionCookie(baseUrl: string, email: string): Promise<string> {
  const res = await post(baseUrl, "/api/auth/sign-in/email", { email, password: BENCH_PASSWORD });
  await res.arrayBuffer();
  const cookie = res.headers
    .getSetCookie()
    .map((c) => c.split(";")[0])
    .join("; ");
  if (!res.ok || !cookie.includes("session_token"))
    throw new Error(`peer sign-in: HTTP ${res.status}, no session cookie`);
  return cookie;
}

/** A connection string of the peer's database with its own application_name (gateway counters). */
export function withApplicationName(databaseUrl: string, name: string): string {
  const url = new URL(databaseUrl);
  url.searchParams.set("application_name", name);
  return url.toString();
}
