/**
 * The data the scenarios need, in the product's database. One account is registered through the API
 * (so its password hash is whatever the running Worker makes); everything else is written by SQL,
 * straight into the embedded PostgreSQL (not through the gateway, whose counters measure the
 * Workers): 10,000 users sharing that hash, an admin, credits, and one session per refresh token.
 */
import { createHash, randomBytes, randomUUID } from "node:crypto";
import pg from "pg";

/** A password every seeded account shares (long and random: the common-password list refuses none). */
export const BENCH_PASSWORD = `bench-${randomBytes(12).toString("base64url")}`;

/** Seeded accounts are bench_user_00001 ... ; the first LOGIN_USERS take turns in the login scenario. */
export const seededUsername = (n: number) => `bench_user_${String(n).padStart(5, "0")}`;

export interface OurSeed {
  /** Access token of `bench_owner` (GET /users/me). */
  ownerToken: string;
  /** Access token of `bench_admin` (GET /users). */
  adminToken: string;
  /** Access tokens of the accounts that post tasks, one session each. */
  taskTokens: string[];
  /** Refresh tokens of sessions made for the refresh scenario; each is presented once. */
  refreshTokens: string[];
}

async function postJson(url: string, body: unknown): Promise<Record<string, unknown>> {
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  const json = (await res.json().catch(() => ({}))) as Record<string, unknown>;
  if (!res.ok) throw new Error(`POST ${url}: HTTP ${res.status} ${JSON.stringify(json)}`);
  return json;
}

/** Logs `username` in through the API and returns its access token. */
export async function login(baseUrl: string, username: string): Promise<string> {
  const pair = await postJson(`${baseUrl}/api/v1/auth/login`, { username, password: BENCH_PASSWORD });
  return pair.access_token as string;
}

/**
 * Seeds the product's database through `databaseUrl` (direct) and `baseUrl` (a Worker with the
 * limiter off, for the one registration and the logins that mint tokens).
 */
export async function seedOurs(options: {
  databaseUrl: string;
  baseUrl: string;
  users: number;
  taskUsers: number;
  refreshSessions: number;
  say: (line: string) => void;
}): Promise<OurSeed> {
  const { baseUrl, say } = options;
  await postJson(`${baseUrl}/api/v1/auth/register`, {
    username: "bench_owner",
    email: "bench_owner@example.com",
    password: BENCH_PASSWORD,
    full_name: "Bench Owner",
  });
  const client = new pg.Client({ connectionString: options.databaseUrl });
  await client.connect();
  let refreshTokens: string[];
  try {
    const { rows } = await client.query<{ password_hash: string }>(
      "select password_hash from users where username = 'bench_owner'",
    );
    const hash = rows[0]?.password_hash;
    if (!hash) throw new Error("the registered bench_owner is not in the database");
    // A billion credits each: every task the bench posts (TASK_COST_ADD is 1) is affordable.
    await client.query(
      `insert into users (username, email, password_hash, full_name, role, credits, created_at)
       select 'bench_user_' || lpad(n::text, 5, '0'), 'bench_user_' || lpad(n::text, 5, '0') || '@example.com', $1,
              (array['Ada','Grace','Alan','Edsger','Barbara','Donald','Margaret','Ken'])[1 + n % 8] || ' ' ||
              (array['Lovelace','Hopper','Turing','Dijkstra','Liskov','Knuth','Hamilton','Thompson'])[1 + (n / 8) % 8],
              'user', 1000000000, now() - make_interval(secs => n)
       from generate_series(1, $2::int) n`,
      [hash, options.users],
    );
    await client.query(
      `insert into users (username, email, password_hash, full_name, role)
       values ('bench_admin', 'bench_admin@example.com', $1, 'Bench Admin', 'admin')`,
      [hash],
    );
    say(`seeded ${options.users} users (bench_user_00001...), bench_admin and bench_owner`);

    refreshTokens = await seedSessions(client, options.refreshSessions, options.users);
    if (refreshTokens.length) say(`seeded ${refreshTokens.length} sessions, one refresh token each`);
    await client.query("vacuum analyze users");
    await client.query("analyze sessions");
  } finally {
    await client.end();
  }
  const ownerToken = await login(baseUrl, "bench_owner");
  const adminToken = await login(baseUrl, "bench_admin");
  const taskTokens: string[] = [];
  for (let n = 1; n <= options.taskUsers; n++) taskTokens.push(await login(baseUrl, seededUsername(n)));
  return { ownerToken, adminToken, taskTokens, refreshTokens };
}

/**
 * `count` live sessions spread over the seeded users, as a login would leave them: the row stores the
 * hex SHA-256 of a random 256-bit token (src/services/tokens.ts), so the token itself is only here.
 */
async function seedSessions(client: pg.Client, count: number, users: number): Promise<string[]> {
  const { rows } = await client.query<{ id: string }>(
    "select id from users where username like 'bench\\_user\\_%' order by username limit $1",
    [users],
  );
  const userIds = rows.map((r) => r.id);
  const tokens: string[] = [];
  const BATCH = 10_000;
  for (let start = 0; start < count; start += BATCH) {
    const n = Math.min(BATCH, count - start);
    const ids: string[] = [];
    const owners: string[] = [];
    const hashes: string[] = [];
    for (let i = 0; i < n; i++) {
      const token = randomBytes(32).toString("base64url");
      tokens.push(token);
      ids.push(randomUUID());
      owners.push(userIds[(start + i) % userIds.length] as string);
      hashes.push(createHash("sha256").update(token).digest("hex"));
    }
    await client.query(
      `insert into sessions (id, user_id, refresh_hash, expires_at)
       select id, user_id, hash, now() + interval '7 days'
       from unnest($1::uuid[], $2::uuid[], $3::text[]) as t(id, user_id, hash)`,
      [ids, owners, hashes],
    );
  }
  return tokens;
}
