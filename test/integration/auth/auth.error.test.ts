import { describe, expect, it } from "vitest";
import { sql } from "../../helpers/db.ts";
import { createUser, loginAs, STRONG_PASSWORD, unique } from "../../helpers/factories.ts";
import { api } from "../../helpers/harness.ts";

const valid = () => {
  const username = `u_${unique()}`;
  return { username, email: `${username}@example.com`, password: STRONG_PASSWORD };
};

describe("register: invalid bodies are 422 with errors[] naming the field", () => {
  it.each([
    ["username too short", { username: "ab" }, "username"],
    ["username too long", { username: "a".repeat(51) }, "username"],
    ["username with a space", { username: "jane doe" }, "username"],
    ["username with a dash", { username: "jane-doe" }, "username"],
    ["e-mail malformed", { email: "not-an-email" }, "email"],
    ["password too short", { password: "short7!" }, "password"],
    ["password too long", { password: "x".repeat(129) }, "password"],
    ["common password", { password: "password123" }, "password"],
    ["another common password", { password: "qwertyuiop" }, "password"],
    ["confirmation mismatch", { password_confirm: "something-else-entirely" }, "password_confirm"],
    ["unknown field", { role: "admin" }, ""],
    ["missing username", { username: undefined }, "username"],
  ])("%s", async (_label, change, path) => {
    const body = { ...valid(), ...change };
    const res = await api("POST", "/api/v1/auth/register", { json: body });
    expect(res.status, res.dump).toBe(422);
    expect(res.body.code).toBe("validation_failed");
    expect(
      res.body.errors.map((e: { path: string }) => e.path),
      res.dump,
    ).toContain(path);
  });

  it("accepts exactly 8 and exactly 128 characters, with no composition rules", async () => {
    for (const password of ["aaaabbbz", `${"p".repeat(127)}q`]) {
      const res = await api("POST", "/api/v1/auth/register", { json: { ...valid(), password } });
      expect(res.status, res.dump).toBe(201);
    }
  });
});

describe("register: conflicts", () => {
  it.each([
    [
      "the username in another case",
      (u: { username: string }) => ({ ...valid(), username: u.username.toUpperCase() }),
    ],
    ["the e-mail in another case", (u: { email: string }) => ({ ...valid(), email: u.email.toUpperCase() })],
  ])("409 when %s is taken, with one message for both", async (_label, make) => {
    const existing = await createUser();
    const res = await api("POST", "/api/v1/auth/register", { json: make(existing) });
    expect(res.status, res.dump).toBe(409);
    expect(res.body).toMatchObject({
      code: "account_exists",
      detail: "That username or e-mail is already registered.",
    });
    const [count] =
      await sql`select count(*)::int as n from users where lower(username) = lower(${existing.username}) or lower(email) = lower(${existing.email})`;
    expect(count?.n).toBe(1);
  });
});

describe("login failures", () => {
  it("answers the same 401 for an unknown user, a wrong password and an inactive account", async () => {
    const user = await createUser();
    const inactive = await createUser();
    await sql`update users set is_active = false where id = ${inactive.id}`;
    const attempts = [
      { username: `ghost_${unique()}`, password: STRONG_PASSWORD },
      { username: user.username, password: "wrong-password-here" },
      { username: inactive.username, password: inactive.password },
    ];
    const bodies = [];
    for (const json of attempts) {
      const res = await api("POST", "/api/v1/auth/login", { json });
      expect(res.status, res.dump).toBe(401);
      const { request_id: _id, ...rest } = res.body;
      bodies.push(rest);
    }
    expect(bodies[1]).toEqual(bodies[0]);
    expect(bodies[2]).toEqual(bodies[0]);
    expect(bodies[0]).toMatchObject({ code: "unauthorized", detail: "Incorrect username or password." });
    const failed =
      await sql`select metadata->>'reason' as reason from security_events where user_id in (${user.id}, ${inactive.id}) and type = 'login_failed' order by metadata->>'reason'`;
    expect(failed.map((r) => r.reason)).toEqual(["inactive_account", "wrong_password"]);
  });

  it.each([
    ["no identifier", { password: "x" }],
    ["no password", { username: "someone" }],
    ["an empty body", {}],
  ])("422 for %s", async (_label, json) => {
    const res = await api("POST", "/api/v1/auth/login", { json });
    expect(res.status, res.dump).toBe(422);
    expect(res.body.code).toBe("validation_failed");
  });

  it("422 for a form login without a password", async () => {
    const res = await api("POST", "/api/v1/auth/login", { form: { username: "someone" } });
    expect(res.status, res.dump).toBe(422);
  });
});

describe("refresh failures", () => {
  it.each([
    ["an unknown token", "A".repeat(43)],
    ["garbage", "not-a-token"],
  ])("401 for %s", async (_label, refresh_token) => {
    const res = await api("POST", "/api/v1/auth/refresh", { json: { refresh_token } });
    expect(res.status, res.dump).toBe(401);
  });

  it("422 without a token", async () => {
    const res = await api("POST", "/api/v1/auth/refresh", { json: {} });
    expect(res.status, res.dump).toBe(422);
  });
});

describe("password change failures", () => {
  it("403 with a wrong current password, and nothing changes", async () => {
    const user = await createUser();
    const pair = await loginAs(user);
    const res = await api("POST", "/api/v1/auth/password/change", {
      token: pair.access_token,
      json: { current_password: "not-my-password", new_password: "another-good-passphrase" },
    });
    expect(res.status, res.dump).toBe(403);
    expect(res.body.code).toBe("invalid_password");
    expect(
      (
        await api("POST", "/api/v1/auth/login", {
          json: { username: user.username, password: user.password },
        })
      ).status,
    ).toBe(200);
  });

  it("422 for a common new password", async () => {
    const user = await createUser();
    const pair = await loginAs(user);
    const res = await api("POST", "/api/v1/auth/password/change", {
      token: pair.access_token,
      json: { current_password: user.password, new_password: "iloveyou" },
    });
    expect(res.status, res.dump).toBe(422);
  });
});
