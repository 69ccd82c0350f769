/**
 * Admin CLI: `npm run admin -- create-superuser --username U --email E --password P`
 *
 * Works on DATABASE_URL, or on the embedded database `npm run dev` uses (started for the duration of
 * the command when it is not already running).
 */
import { parseArgs } from "node:util";
import pg from "pg";
import { hashPassword } from "../src/services/password.ts";
import { DEV_DATA_DIR, DEV_POSTGRES_PORT, devDatabaseUrl } from "./local/dev-defaults.ts";
import { applyMigrations } from "./local/migrate.ts";
import { startLocalPostgres } from "./local/postgres.ts";

const USAGE = "usage: npm run admin -- create-superuser --username U --email E --password P";

async function withDatabase<T>(fn: (url: string) => Promise<T>): Promise<T> {
  if (process.env.DATABASE_URL) return fn(process.env.DATABASE_URL);
  const devUrl = devDatabaseUrl();
  if (devUrl) {
    const probe = new pg.Client({ connectionString: devUrl });
    const running = await probe.connect().then(
      () => true,
      () => false,
    );
    await probe.end().catch(() => {});
    if (running) return fn(devUrl);
  }
  const local = await startLocalPostgres({ dataDir: DEV_DATA_DIR, port: DEV_POSTGRES_PORT });
  try {
    return await fn(local.url);
  } finally {
    await local.stop();
  }
}

async function createSuperuser(args: string[]) {
  const { values } = parseArgs({
    args,
    options: { username: { type: "string" }, email: { type: "string" }, password: { type: "string" } },
  });
  const { username, email, password } = values;
  if (!username || !email || !password) throw new Error(USAGE);
  if (!/^[A-Za-z0-9_]{3,50}$/.test(username))
    throw new Error("username: 3..50 of letters, digits and underscores");
  if (!/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(email)) throw new Error("email: not an e-mail address");
  if (password.length < 8 || password.length > 128) throw new Error("password: 8..128 characters");
  const passwordHash = await hashPassword(password);
  await withDatabase(async (url) => {
    await applyMigrations(url);
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      // Promotes an existing account with that username or e-mail, else creates it.
      const { rows } = await client.query(
        `insert into users (username, email, password_hash, role, email_verified_at)
         values ($1, $2, $3, 'admin', now())
         on conflict do nothing
         returning id`,
        [username, email, passwordHash],
      );
      if (rows[0]) {
        console.log(`created admin ${username} (${rows[0].id})`);
        return;
      }
      const updated = await client.query(
        `update users set role = 'admin', password_hash = $3, is_active = true, updated_at = now()
         where lower(username) = lower($1) and lower(email) = lower($2) returning id`,
        [username, email, passwordHash],
      );
      if (!updated.rows[0]) throw new Error("that username or e-mail belongs to a different account");
      console.log(`promoted ${username} (${updated.rows[0].id}) to admin and set the password`);
    } finally {
      await client.end();
    }
  });
}

const [command, ...rest] = process.argv.slice(2);
try {
  if (command === "create-superuser") await createSuperuser(rest);
  else throw new Error(USAGE);
} catch (err) {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
}
