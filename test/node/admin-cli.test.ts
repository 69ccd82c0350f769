/**
 * The admin CLI (scripts/admin.ts) as an operator runs it: a child process on the test database.
 */
import { randomUUID } from "node:crypto";
import pg from "pg";
import { afterAll, describe, expect, inject, it } from "vitest";
import { verifyPassword } from "../../src/services/password.ts";
import { runScript } from "../helpers/run-script.ts";

const databaseUrl = inject("databaseUrl");
const db = new pg.Pool({ connectionString: databaseUrl, max: 2 });
afterAll(() => db.end());

const GOOD_PASSWORD = "violet staple orbit 42";

/** Runs `tsx scripts/admin.ts ...args` with `stdin` piped in (stdin is never a terminal here). */
const admin = (args: string[], stdin = "", url = databaseUrl) =>
  runScript("scripts/admin.ts", args, { env: { ...process.env, DATABASE_URL: url }, stdin });

const names = () => {
  const id = randomUUID().replaceAll("-", "").slice(0, 12);
  return { username: `adm_${id}`, email: `adm_${id}@example.com` };
};
const userArgs = (u: { username: string; email: string }) => ["--username", u.username, "--email", u.email];

async function findUser(username: string) {
  const { rows } = await db.query("select id, role, password_hash from users where username = $1", [
    username,
  ]);
  return rows[0] as { id: string; role: string; password_hash: string } | undefined;
}

describe("admin CLI: create-superuser", { timeout: 60_000 }, () => {
  it("--help explains the password options and exits 0", async () => {
    const res = await admin(["create-superuser", "--help"]);
    expect(res.code).toBe(0);
    expect(res.stdout).toContain("--password-stdin");
    expect(res.stdout).toMatch(/discouraged/);
    expect((await admin(["--help"])).code).toBe(0);
  });

  it.each([
    ["too short", "short1!", /at least 8 characters/],
    ["too long", `${"x".repeat(60)}${"y".repeat(69)}`, /at most 128 characters/],
    ["common", "password123", /too common/],
    ["common, differently cased", "PassWord123", /too common/],
    ["trivial-run", "abcdefghij", /too common/],
  ])("refuses a %s password with exit 2 and creates nothing", async (_label, password, message) => {
    const u = names();
    const res = await admin(["create-superuser", ...userArgs(u), "--password-stdin"], `${password}\n`);
    expect(res.code, res.stderr).toBe(2);
    expect(res.stderr).toMatch(message);
    expect(await findUser(u.username)).toBeUndefined();
  });

  it("reads the password from standard input with --password-stdin", async () => {
    const u = names();
    const res = await admin(["create-superuser", ...userArgs(u), "--password-stdin"], `${GOOD_PASSWORD}\n`);
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).toContain(`created admin ${u.username}`);
    const user = await findUser(u.username);
    expect(user?.role).toBe("admin");
    // The trailing newline is not part of the password.
    expect((await verifyPassword(GOOD_PASSWORD, user?.password_hash as string)).ok).toBe(true);
  });

  it("without a terminal and without --password-stdin, says how to pass it (exit 2)", async () => {
    const u = names();
    const res = await admin(["create-superuser", ...userArgs(u)], `${GOOD_PASSWORD}\n`);
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/--password-stdin/);
    expect(await findUser(u.username)).toBeUndefined();
  });

  it("still takes --password, with a warning, and applies the policy to it too", async () => {
    const u = names();
    const weak = await admin(["create-superuser", ...userArgs(u), "--password", "qwertyuiop"]);
    expect(weak.code).toBe(2);
    expect(await findUser(u.username)).toBeUndefined();
    const res = await admin(["create-superuser", ...userArgs(u), "--password", GOOD_PASSWORD]);
    expect(res.code, res.stderr).toBe(0);
    expect(res.stderr).toMatch(/warning: --password is visible/);
    expect((await findUser(u.username))?.role).toBe("admin");
  });

  it("resetting an existing account's password ends its live sessions, not other accounts'", async () => {
    const u = names();
    const other = names();
    for (const who of [u, other]) {
      const created = await admin(["create-superuser", ...userArgs(who), "--password-stdin"], GOOD_PASSWORD);
      expect(created.code, created.stderr).toBe(0);
    }
    const user = (await findUser(u.username)) as { id: string };
    const otherUser = (await findUser(other.username)) as { id: string };
    const session = async (userId: string, expiresIn: string) => {
      const id = randomUUID();
      await db.query(
        `insert into sessions (id, user_id, refresh_hash, expires_at)
         values ($1, $2, $3, now() + $4::interval)`,
        [id, userId, `hash-${randomUUID()}`, expiresIn],
      );
      return id;
    };
    const live = [await session(user.id, "1 day"), await session(user.id, "30 days")];
    const expired = await session(user.id, "-1 day");
    const othersSession = await session(otherUser.id, "1 day");

    const newPassword = "a brand new passphrase";
    const res = await admin(["create-superuser", ...userArgs(u), "--password-stdin"], newPassword);
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).toMatch(/ended 2 session\(s\)/);

    const revoked = async (id: string) =>
      (await db.query("select revoked_at from sessions where id = $1", [id])).rows[0].revoked_at;
    for (const id of live) expect(await revoked(id)).not.toBeNull();
    expect(await revoked(expired)).toBeNull();
    expect(await revoked(othersSession)).toBeNull();
    const hash = (await findUser(u.username))?.password_hash as string;
    expect((await verifyPassword(newPassword, hash)).ok).toBe(true);
    expect((await verifyPassword(GOOD_PASSWORD, hash)).ok).toBe(false);
    const { rows } = await db.query(
      "select metadata from security_events where user_id = $1 and type = 'password_changed'",
      [user.id],
    );
    expect(rows.map((r) => r.metadata)).toEqual([{ by: "admin-cli", sessions_revoked: 2 }]);
  });

  it("refuses a username of one account with the e-mail of another (exit 1), changing nothing", async () => {
    const a = names();
    const b = names();
    for (const who of [a, b])
      expect(
        (await admin(["create-superuser", ...userArgs(who), "--password-stdin"], GOOD_PASSWORD)).code,
      ).toBe(0);
    const before = await findUser(a.username);
    const res = await admin(
      ["create-superuser", "--username", a.username, "--email", b.email, "--password-stdin"],
      "another fine passphrase",
    );
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/different account/);
    expect(await findUser(a.username)).toEqual(before);
  });

  it.each([
    ["an unknown command", ["make-coffee"]],
    ["no command", []],
    ["an unknown option", ["create-superuser", "--user", "x"]],
    ["a missing e-mail", ["create-superuser", "--username", "someone", "--password-stdin"]],
    [
      "both password options",
      ["create-superuser", "--username", "abc", "--email", "a@b.cd", "--password", "x", "--password-stdin"],
    ],
  ])("answers %s with a clear error and exit 2", async (_label, args) => {
    const res = await admin(args, GOOD_PASSWORD);
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/^error: /);
  });
});

/**
 * A private copy of the account tables (like test/helpers/isolated-schema.ts), so "the last active
 * admin" is decided by this test alone; the CLI reaches it through `options=-c search_path=...`.
 */
async function isolatedSchema() {
  const schema = `iso_${randomUUID().replaceAll("-", "").slice(0, 16)}`;
  await db.query(`create schema ${schema}`);
  for (const table of ["users", "sessions", "audit_events"])
    await db.query(`create table ${schema}.${table} (like public.${table} including all)`);
  const url = new URL(databaseUrl);
  url.searchParams.set("options", `-c search_path=${schema},public`);
  const pool = new pg.Pool({ connectionString: url.toString(), max: 1 });
  return { url: url.toString(), pool, schema };
}

async function insertUser(client: pg.Pool, role: string, isActive = true) {
  const u = names();
  const { rows } = await client.query(
    `insert into users (username, email, password_hash, role, is_active, full_name)
     values ($1, $2, 'x', $3, $4, 'Cli Person') returning id`,
    [u.username, u.email, role, isActive],
  );
  return { ...u, id: rows[0].id as string };
}

async function insertSession(client: pg.Pool, userId: string) {
  const id = randomUUID();
  await client.query(
    `insert into sessions (id, user_id, refresh_hash, expires_at) values ($1, $2, $3, now() + interval '1 day')`,
    [id, userId, `hash-${randomUUID()}`],
  );
  return id;
}

describe("admin CLI: list-users, set-role, deactivate", { timeout: 60_000 }, () => {
  it("each command has --help (exit 0) and refuses bad usage with exit 2", async () => {
    for (const command of ["list-users", "set-role", "deactivate"]) {
      const help = await admin([command, "--help"]);
      expect(help.code, help.stderr).toBe(0);
      expect(help.stdout).toContain(`usage: npm run admin -- ${command}`);
    }
    for (const args of [
      ["set-role", "someone"],
      ["set-role", "someone", "root"],
      ["deactivate"],
      ["deactivate", "a", "b"],
      ["list-users", "--limit", "0"],
      ["list-users", "--role", "root"],
    ]) {
      const res = await admin(args);
      expect(res.code, `${args.join(" ")}: ${res.stderr}`).toBe(2);
      expect(res.stderr).toMatch(/^error: /);
    }
  });

  it("list-users filters by --q and --role, newest first, up to --limit", async () => {
    const iso = await isolatedSchema();
    try {
      const a = await insertUser(iso.pool, "user");
      const b = await insertUser(iso.pool, "moderator");
      const all = await admin(["list-users"], "", iso.url);
      expect(all.code, all.stderr).toBe(0);
      expect(
        all.stdout
          .trim()
          .split("\n")
          .map((l) => l.split("\t")[1]),
      ).toEqual([b.username, a.username]);
      const mods = await admin(["list-users", "--role", "moderator"], "", iso.url);
      expect(mods.stdout).toContain(b.username);
      expect(mods.stdout).not.toContain(a.username);
      const q = await admin(["list-users", "--q", a.email.toUpperCase()], "", iso.url);
      expect(q.stdout.trim().split("\n")).toHaveLength(1);
      expect(q.stdout).toContain(`${a.id}\t${a.username}\t${a.email}\tuser\tactive`);
      const one = await admin(["list-users", "--limit", "1"], "", iso.url);
      expect(one.stdout.trim().split("\n")).toHaveLength(1);
    } finally {
      await iso.pool.end();
    }
  });

  it("set-role by username, e-mail or id, audited with actor null; the last admin stays (exit 1)", async () => {
    const iso = await isolatedSchema();
    try {
      const admin1 = await insertUser(iso.pool, "admin");
      const user = await insertUser(iso.pool, "user");
      const promote = await admin(["set-role", user.email.toUpperCase(), "admin"], "", iso.url);
      expect(promote.code, promote.stderr).toBe(0);
      expect(promote.stdout).toContain("user -> admin");
      const demote = await admin(["set-role", admin1.id, "moderator"], "", iso.url);
      expect(demote.code, demote.stderr).toBe(0);
      // user is now the only active admin.
      const refused = await admin(["set-role", user.username, "user"], "", iso.url);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toMatch(/last active admin/);
      const roles = await iso.pool.query("select id, role from users order by role");
      expect(Object.fromEntries(roles.rows.map((r) => [r.id, r.role]))).toEqual({
        [admin1.id]: "moderator",
        [user.id]: "admin",
      });
      const audit = await iso.pool.query(
        "select actor_id, target_id, action, changes from audit_events order by created_at",
      );
      expect(audit.rows).toEqual([
        {
          actor_id: null,
          target_id: user.id,
          action: "cli.set_role",
          changes: { role: { before: "user", after: "admin" } },
        },
        {
          actor_id: null,
          target_id: admin1.id,
          action: "cli.set_role",
          changes: { role: { before: "admin", after: "moderator" } },
        },
      ]);
      const missing = await admin(["set-role", "nobody_at_all", "user"], "", iso.url);
      expect(missing.code).toBe(1);
      expect(missing.stderr).toMatch(/no user/);
    } finally {
      await iso.pool.end();
    }
  });

  it("deactivate ends the user's sessions and is audited; the last active admin stays (exit 1)", async () => {
    const iso = await isolatedSchema();
    try {
      const onlyAdmin = await insertUser(iso.pool, "admin");
      await insertUser(iso.pool, "admin", false);
      const user = await insertUser(iso.pool, "user");
      const sessions = [await insertSession(iso.pool, user.id), await insertSession(iso.pool, user.id)];
      const other = await insertSession(iso.pool, onlyAdmin.id);
      const res = await admin(["deactivate", user.username], "", iso.url);
      expect(res.code, res.stderr).toBe(0);
      expect(res.stdout).toMatch(/ended 2 session\(s\)/);
      const revoked = await iso.pool.query("select id from sessions where revoked_at is not null");
      expect(revoked.rows.map((r) => r.id).sort()).toEqual([...sessions].sort());
      expect((await iso.pool.query("select is_active from users where id = $1", [user.id])).rows[0]).toEqual({
        is_active: false,
      });
      const audit = await iso.pool.query("select actor_id, action, changes from audit_events");
      expect(audit.rows).toEqual([
        { actor_id: null, action: "cli.deactivate", changes: { is_active: { before: true, after: false } } },
      ]);
      const refused = await admin(["deactivate", onlyAdmin.email], "", iso.url);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toMatch(/last active admin/);
      const still = await iso.pool.query("select revoked_at from sessions where id = $1", [other]);
      expect(still.rows[0].revoked_at).toBeNull();
    } finally {
      await iso.pool.end();
    }
  });
});
