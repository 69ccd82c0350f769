/**
 * Admin CLI: `npm run admin -- create-superuser --username U --email E`, `list-users`, `set-role`,
 * `deactivate` (see USAGE).
 *
 * Works on DATABASE_URL, or on the embedded database `npm run dev` uses (started for the duration of
 * the command when it is not already running). The password is asked for without echo, or read from
 * standard input, so it stays out of shell history and the process list; it must pass the same
 * policy as registration. set-role and deactivate keep the API's rules: the last active admin is never
 * demoted or deactivated (under the same advisory lock the API takes), deactivating ends the user's
 * sessions, and each change writes an audit row (`actor_id` null: the operator is not a user).
 * Exit codes: 0 done, 1 failed (database, conflicting account, no such user, last admin), 2 bad
 * usage or a refused password.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import pg from "pg";
import { likePattern } from "../src/lib/pagination.ts";
import { ADMIN_CHANGE_LOCK_KEY } from "../src/lib/permissions.ts";
import { hashPassword } from "../src/services/password.ts";
import { commonPasswordCheck, newPasswordProblem } from "../src/services/password-policy.ts";
import { DEV_DATA_DIR, DEV_POSTGRES_PORT, devDatabaseUrl } from "./local/dev-defaults.ts";
import { applyMigrations } from "./local/migrate.ts";
import { startLocalPostgres } from "./local/postgres.ts";

const USAGE = `usage: npm run admin -- <command> [options]   (each command takes --help)

  create-superuser --username U --email E [--password-stdin]
  list-users [--q TEXT] [--role user|moderator|admin] [--limit N]
  set-role USER ROLE        USER: id, username or e-mail; ROLE: user, moderator or admin
  deactivate USER           ends the user's sessions too

create-superuser:

Creates an admin account, or promotes the existing account that has both this username and this
e-mail to admin and sets its password (ending all of its sessions).

The password is asked for twice, without echo, when run in a terminal. Elsewhere (scripts, CI) pass
it on standard input with --password-stdin, e.g.
  printf '%s' "$ADMIN_PASSWORD" | npm run admin -- create-superuser --username U --email E --password-stdin
--password P also works but is discouraged: it lands in shell history and the process list.
Passwords follow the registration policy: 8..128 characters, common passwords refused.

Database: DATABASE_URL, else the embedded PostgreSQL of \`npm run dev\` (in ${DEV_DATA_DIR}).
Exit codes: 0 done, 1 failed (e.g. no such user, last active admin), 2 bad usage or refused password.`;

const LIST_USAGE = `usage: npm run admin -- list-users [--q TEXT] [--role user|moderator|admin] [--limit N]

Lists users, newest first: id, username, e-mail, role, active. --q searches username, e-mail and
full name (case-insensitive); --limit is 1..1000 (default 50).`;

const SET_ROLE_USAGE = `usage: npm run admin -- set-role USER ROLE

Sets the role of USER (id, username or e-mail) to ROLE (user, moderator or admin). The last active
admin cannot be demoted (exit 1). Writes an audit row (action cli.set_role).`;

const DEACTIVATE_USAGE = `usage: npm run admin -- deactivate USER

Deactivates USER (id, username or e-mail) and ends all of their sessions. The last active admin
cannot be deactivated (exit 1). Writes an audit row (action cli.deactivate).`;

const ROLES = ["user", "moderator", "admin"] as const;

/** Wrong arguments or a refused password: exit code 2, and the usage hint. */
class UsageError extends Error {}

/** The command could not do what was asked (no such user, last admin): exit code 1. */
class CommandError extends Error {}

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

/** Reads standard input to its end; one trailing newline (as `echo` adds) is not part of it. */
async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks)
    .toString("utf8")
    .replace(/\r?\n$/, "");
}

/** Asks on the terminal with echo off (raw mode), so the password is never shown. */
function promptHidden(question: string): Promise<string> {
  const input = process.stdin;
  process.stderr.write(question);
  input.setRawMode(true);
  input.setEncoding("utf8");
  input.resume();
  return new Promise((resolve, reject) => {
    let value = "";
    const finish = () => {
      input.off("data", onData);
      input.setRawMode(false);
      input.pause();
      process.stderr.write("\n");
    };
    const onData = (chunk: string) => {
      for (const ch of chunk) {
        if (ch === "\r" || ch === "\n") {
          finish();
          return resolve(value);
        }
        if (ch === "\u0003" || (ch === "\u0004" && value === "")) {
          finish();
          return reject(new UsageError("cancelled"));
        }
        if (ch === "\u007f" || ch === "\b") value = Array.from(value).slice(0, -1).join("");
        else if (ch >= " ") value += ch;
      }
    };
    input.on("data", onData);
  });
}

async function readPassword(values: { password?: string; "password-stdin"?: boolean }): Promise<string> {
  if (values.password !== undefined && values["password-stdin"])
    throw new UsageError("give --password or --password-stdin, not both");
  if (values.password !== undefined) {
    console.error("warning: --password is visible in shell history and the process list; prefer the prompt");
    return values.password;
  }
  if (values["password-stdin"]) return readStdin();
  if (!process.stdin.isTTY)
    throw new UsageError(
      "no terminal to ask for the password: pass it on standard input with --password-stdin",
    );
  const password = await promptHidden("Password: ");
  // Checked before the confirmation, so a refused password is not typed twice for nothing.
  checkPassword(password);
  if ((await promptHidden("Password (again): ")) !== password) throw new UsageError("passwords do not match");
  return password;
}

/** The registration policy, over the same list the Worker reads from its static assets. */
function checkPassword(password: string): void {
  const list = readFileSync(
    fileURLToPath(new URL("../public/internal/common-passwords.txt", import.meta.url)),
    "utf8",
  );
  const problem = newPasswordProblem(password, commonPasswordCheck(list));
  if (problem) throw new UsageError(`password: ${problem}`);
}

async function createSuperuser(args: string[]) {
  const { values } = parseArgs({
    args,
    options: {
      username: { type: "string" },
      email: { type: "string" },
      password: { type: "string" },
      "password-stdin": { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const { username, email } = values;
  if (!username || !email) throw new UsageError("--username and --email are required");
  if (!/^[A-Za-z0-9_]{3,50}$/.test(username))
    throw new UsageError("username: 3..50 of letters, digits and underscores");
  if (!/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(email)) throw new UsageError("email: not an e-mail address");
  const password = await readPassword(values);
  checkPassword(password);
  const passwordHash = await hashPassword(password);
  await withDatabase(async (url) => {
    await applyMigrations(url);
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      await client.query("begin");
      // Promotes an existing account with that username and e-mail, else creates it.
      const { rows } = await client.query(
        `insert into users (username, email, password_hash, role, email_verified_at)
         values ($1, $2, $3, 'admin', now())
         on conflict do nothing
         returning id`,
        [username, email, passwordHash],
      );
      if (rows[0]) {
        await client.query("commit");
        console.log(`created admin ${username} (${rows[0].id})`);
        return;
      }
      const updated = await client.query(
        `update users set role = 'admin', password_hash = $3, is_active = true, updated_at = now()
         where lower(username) = lower($1) and lower(email) = lower($2) returning id`,
        [username, email, passwordHash],
      );
      const id = updated.rows[0]?.id as string | undefined;
      if (!id) throw new Error("that username or e-mail belongs to a different account");
      // A new password ends every session, as a password change does: whoever held the old one
      // must not stay logged in.
      const revoked = await client.query(
        `update sessions set revoked_at = now()
         where user_id = $1 and revoked_at is null and expires_at > now()`,
        [id],
      );
      await client.query(
        `insert into security_events (user_id, type, metadata)
         values ($1, 'password_changed', $2)`,
        [id, JSON.stringify({ by: "admin-cli", sessions_revoked: revoked.rowCount ?? 0 })],
      );
      await client.query("commit");
      console.log(
        `promoted ${username} (${id}) to admin, set the password and ended ${revoked.rowCount ?? 0} session(s)`,
      );
    } catch (error) {
      await client.query("rollback").catch(() => {});
      throw error;
    } finally {
      await client.end();
    }
  });
}

/** Runs `fn` in one transaction on the migrated database. */
async function inTransaction<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  return withDatabase(async (url) => {
    await applyMigrations(url);
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      await client.query("begin");
      const result = await fn(client);
      await client.query("commit");
      return result;
    } catch (error) {
      await client.query("rollback").catch(() => {});
      throw error;
    } finally {
      await client.end();
    }
  });
}

interface TargetRow {
  id: string;
  username: string;
  role: (typeof ROLES)[number];
  is_active: boolean;
}

/**
 * Takes the admin-change lock (the API's too), then finds and locks USER by id, username or e-mail:
 * the last-admin check that follows sees every change committed before it.
 */
async function lockTarget(client: pg.Client, who: string): Promise<TargetRow> {
  await client.query("select pg_advisory_xact_lock($1::bigint)", [ADMIN_CHANGE_LOCK_KEY]);
  const { rows } = await client.query<TargetRow>(
    `select id, username, role, is_active from users
     where id::text = lower($1) or lower(username) = lower($1) or lower(email) = lower($1)
     for update`,
    [who],
  );
  if (!rows[0]) throw new CommandError(`no user with the id, username or e-mail ${JSON.stringify(who)}`);
  return rows[0];
}

async function isLastActiveAdmin(client: pg.Client, user: TargetRow): Promise<boolean> {
  if (user.role !== "admin" || !user.is_active) return false;
  const { rows } = await client.query(
    "select 1 from users where role = 'admin' and is_active and id <> $1 limit 1",
    [user.id],
  );
  return rows.length === 0;
}

async function audit(client: pg.Client, targetId: string, action: string, changes: object): Promise<void> {
  await client.query(
    "insert into audit_events (actor_id, target_id, action, changes, user_agent) values (null, $1, $2, $3, 'admin-cli')",
    [targetId, action, JSON.stringify(changes)],
  );
}

async function listUsers(args: string[]) {
  const { values } = parseArgs({
    args,
    options: {
      q: { type: "string" },
      role: { type: "string" },
      limit: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) return console.log(LIST_USAGE);
  const role = values.role;
  if (role !== undefined && !(ROLES as readonly string[]).includes(role))
    throw new UsageError(`--role: one of ${ROLES.join(", ")}`);
  const limit = values.limit === undefined ? 50 : Number(values.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new UsageError("--limit: 1..1000");
  const pattern = values.q === undefined ? null : likePattern(values.q);
  const rows = await inTransaction(async (client) => {
    const result = await client.query(
      `select id, username, email, role, is_active from users
       where ($1::text is null or username ilike $1 or email ilike $1 or full_name ilike $1)
         and ($2::user_role is null or role = $2)
       order by created_at desc, id desc limit $3`,
      [pattern, role ?? null, limit],
    );
    return result.rows;
  });
  for (const r of rows)
    console.log([r.id, r.username, r.email, r.role, r.is_active ? "active" : "inactive"].join("\t"));
  console.error(`${rows.length} user(s)`);
}

async function setRole(args: string[]) {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { help: { type: "boolean", short: "h" } },
  });
  if (values.help) return console.log(SET_ROLE_USAGE);
  const [who, role] = positionals;
  if (!who || !role || positionals.length !== 2) throw new UsageError("set-role takes USER and ROLE");
  if (!(ROLES as readonly string[]).includes(role)) throw new UsageError(`ROLE: one of ${ROLES.join(", ")}`);
  const message = await inTransaction(async (client) => {
    const user = await lockTarget(client, who);
    if (user.role === role) return `${user.username} (${user.id}) is already ${role}`;
    if (role !== "admin" && (await isLastActiveAdmin(client, user)))
      throw new CommandError(`${user.username} is the last active admin: promote another admin first`);
    await client.query("update users set role = $2, updated_at = now() where id = $1", [user.id, role]);
    await audit(client, user.id, "cli.set_role", { role: { before: user.role, after: role } });
    return `${user.username} (${user.id}): role ${user.role} -> ${role}`;
  });
  console.log(message);
}

async function deactivate(args: string[]) {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { help: { type: "boolean", short: "h" } },
  });
  if (values.help) return console.log(DEACTIVATE_USAGE);
  const [who] = positionals;
  if (!who || positionals.length !== 1) throw new UsageError("deactivate takes one USER");
  const message = await inTransaction(async (client) => {
    const user = await lockTarget(client, who);
    if (!user.is_active) return `${user.username} (${user.id}) is already inactive`;
    if (await isLastActiveAdmin(client, user))
      throw new CommandError(`${user.username} is the last active admin: promote another admin first`);
    await client.query("update users set is_active = false, updated_at = now() where id = $1", [user.id]);
    const ended = await client.query(
      "update sessions set revoked_at = now() where user_id = $1 and revoked_at is null",
      [user.id],
    );
    await audit(client, user.id, "cli.deactivate", { is_active: { before: true, after: false } });
    return `deactivated ${user.username} (${user.id}) and ended ${ended.rowCount ?? 0} session(s)`;
  });
  console.log(message);
}

const [command, ...rest] = process.argv.slice(2);
try {
  if (command === "create-superuser") await createSuperuser(rest);
  else if (command === "list-users") await listUsers(rest);
  else if (command === "set-role") await setRole(rest);
  else if (command === "deactivate") await deactivate(rest);
  else if (command === "help" || command === "--help" || command === "-h") console.log(USAGE);
  else throw new UsageError(command ? `unknown command: ${command}` : "no command given");
} catch (err) {
  const usage = err instanceof UsageError || (err as { code?: string }).code?.startsWith("ERR_PARSE_ARGS");
  console.error(`error: ${err instanceof Error ? err.message : err}`);
  if (usage) console.error("run `npm run admin -- --help` for usage");
  process.exit(usage ? 2 : 1);
}
