/**
 * Admin CLI: `npm run admin -- create-superuser --username U --email E` (see USAGE).
 *
 * Works on DATABASE_URL, or on the embedded database `npm run dev` uses (started for the duration of
 * the command when it is not already running). The password is asked for without echo, or read from
 * standard input, so it stays out of shell history and the process list; it must pass the same
 * policy as registration. Exit codes: 0 done, 1 failed (database, conflicting account), 2 bad usage
 * or a refused password.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import pg from "pg";
import { hashPassword } from "../src/services/password.ts";
import { commonPasswordCheck, newPasswordProblem } from "../src/services/password-policy.ts";
import { DEV_DATA_DIR, DEV_POSTGRES_PORT, devDatabaseUrl } from "./local/dev-defaults.ts";
import { applyMigrations } from "./local/migrate.ts";
import { startLocalPostgres } from "./local/postgres.ts";

const USAGE = `usage: npm run admin -- create-superuser --username U --email E [--password-stdin]

Creates an admin account, or promotes the existing account that has both this username and this
e-mail to admin and sets its password (ending all of its sessions).

The password is asked for twice, without echo, when run in a terminal. Elsewhere (scripts, CI) pass
it on standard input with --password-stdin, e.g.
  printf '%s' "$ADMIN_PASSWORD" | npm run admin -- create-superuser --username U --email E --password-stdin
--password P also works but is discouraged: it lands in shell history and the process list.
Passwords follow the registration policy: 8..128 characters, common passwords refused.

Database: DATABASE_URL, else the embedded PostgreSQL of \`npm run dev\` (in ${DEV_DATA_DIR}).
Exit codes: 0 done, 1 failed, 2 bad usage or refused password.`;

/** Wrong arguments or a refused password: exit code 2, and the usage hint. */
class UsageError extends Error {}

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

/** The registration policy, over the same list the Worker bundles. */
function checkPassword(password: string): void {
  const list = readFileSync(
    fileURLToPath(new URL("../src/services/common-passwords.txt", import.meta.url)),
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

const [command, ...rest] = process.argv.slice(2);
try {
  if (command === "create-superuser") await createSuperuser(rest);
  else if (command === "help" || command === "--help" || command === "-h") console.log(USAGE);
  else throw new UsageError(command ? `unknown command: ${command}` : "no command given");
} catch (err) {
  const usage = err instanceof UsageError || (err as { code?: string }).code?.startsWith("ERR_PARSE_ARGS");
  console.error(`error: ${err instanceof Error ? err.message : err}`);
  if (usage) console.error("run `npm run admin -- --help` for usage");
  process.exit(usage ? 2 : 1);
}
