/**
 * The admin CLI (scripts/admin.ts) as an operator runs it: a child process on the test database.
 */
import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import pg from "pg";
import { afterAll, describe, expect, inject, it } from "vitest";
import { verifyPassword } from "../../src/services/password.ts";

const databaseUrl = inject("databaseUrl");
const db = new pg.Pool({ connectionString: databaseUrl, max: 2 });
afterAll(() => db.end());

const GOOD_PASSWORD = "violet staple orbit 42";

/** Runs `tsx scripts/admin.ts ...args` with `stdin` piped in (stdin is never a terminal here). */
function admin(args: string[], stdin = ""): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", "scripts/admin.ts", ...args], {
      env: { ...process.env, DATABASE_URL: databaseUrl },
      stdio: ["pipe", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => {
      stdout += c.toString();
    });
    child.stderr.on("data", (c: Buffer) => {
      stderr += c.toString();
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(stdin);
  });
}

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
