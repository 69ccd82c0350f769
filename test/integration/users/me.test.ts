import { describe, expect, it } from "vitest";
import { sql } from "../../helpers/db.ts";
import { createSignedInUser, createUser, loginAs, unique } from "../../helpers/factories.ts";
import { api } from "../../helpers/harness.ts";

describe("GET /users/me", () => {
  it("returns the caller", async () => {
    const user = await createSignedInUser();
    const res = await api("GET", "/api/v1/users/me", { token: user.tokens.access_token });
    expect(res.status, res.dump).toBe(200);
    expect(res.body).toMatchObject({ id: user.id, username: user.username, email: user.email, role: "user" });
  });

  it("401 once the account is deactivated", async () => {
    const user = await createSignedInUser();
    await sql`update users set is_active = false where id = ${user.id}`;
    expect((await api("GET", "/api/v1/users/me", { token: user.tokens.access_token })).status).toBe(401);
  });
});

describe("PATCH /users/me", () => {
  it("updates full_name and username", async () => {
    const user = await createSignedInUser();
    const username = `renamed_${unique()}`;
    const res = await api("PATCH", "/api/v1/users/me", {
      token: user.tokens.access_token,
      json: { full_name: "Grace Hopper", username },
    });
    expect(res.status, res.dump).toBe(200);
    expect(res.body).toMatchObject({ full_name: "Grace Hopper", username });
    const cleared = await api("PATCH", "/api/v1/users/me", {
      token: user.tokens.access_token,
      json: { full_name: null },
    });
    expect(cleared.body.full_name).toBeNull();
  });

  it("an e-mail change clears email_verified and records email_changed; same e-mail keeps it", async () => {
    const user = await createSignedInUser();
    await sql`update users set email_verified_at = now() where id = ${user.id}`;
    const same = await api("PATCH", "/api/v1/users/me", {
      token: user.tokens.access_token,
      json: { email: user.email.toUpperCase() },
    });
    expect(same.body.email_verified, same.dump).toBe(true);
    const email = `new_${unique()}@example.com`;
    const res = await api("PATCH", "/api/v1/users/me", { token: user.tokens.access_token, json: { email } });
    expect(res.status, res.dump).toBe(200);
    expect(res.body).toMatchObject({ email, email_verified: false });
    const events =
      await sql`select metadata->>'to' as "to" from security_events where user_id = ${user.id} and type = 'email_changed'`;
    expect(events).toEqual([{ to: email }]);
  });

  it.each([
    ["role", { role: "admin" }],
    ["is_active", { is_active: false }],
    ["credits", { credits: 1000 }],
    ["email_verified", { email_verified: true }],
  ])("refuses the privileged field %s with 422 and changes nothing", async (_field, json) => {
    const user = await createSignedInUser();
    const res = await api("PATCH", "/api/v1/users/me", { token: user.tokens.access_token, json });
    expect(res.status, res.dump).toBe(422);
    const [row] =
      await sql`select role, is_active, credits, email_verified_at from users where id = ${user.id}`;
    expect(row).toEqual({ role: "user", is_active: true, credits: 0, email_verified_at: null });
  });

  it("409 when the new username or e-mail belongs to someone else (any case)", async () => {
    const other = await createUser();
    const user = await createSignedInUser();
    for (const json of [{ username: other.username.toUpperCase() }, { email: other.email.toUpperCase() }]) {
      const res = await api("PATCH", "/api/v1/users/me", { token: user.tokens.access_token, json });
      expect(res.status, res.dump).toBe(409);
      expect(res.body.code).toBe("account_exists");
    }
  });

  it("422 for an invalid username", async () => {
    const user = await createSignedInUser();
    const res = await api("PATCH", "/api/v1/users/me", {
      token: user.tokens.access_token,
      json: { username: "no spaces" },
    });
    expect(res.status, res.dump).toBe(422);
  });
});

describe("DELETE /users/me", () => {
  it("403 with a wrong password; 204 with the right one, after which the account is gone", async () => {
    const user = await createSignedInUser();
    const wrong = await api("DELETE", "/api/v1/users/me", {
      token: user.tokens.access_token,
      json: { password: "not-it-at-all" },
    });
    expect(wrong.status, wrong.dump).toBe(403);
    const res = await api("DELETE", "/api/v1/users/me", {
      token: user.tokens.access_token,
      json: { password: user.password },
    });
    expect(res.status, res.dump).toBe(204);
    expect(await sql`select id from users where id = ${user.id}`).toHaveLength(0);
    expect(await sql`select id from sessions where user_id = ${user.id}`).toHaveLength(0);
    expect(
      (
        await api("POST", "/api/v1/auth/login", {
          json: { username: user.username, password: user.password },
        })
      ).status,
    ).toBe(401);
    expect((await api("GET", "/api/v1/users/me", { token: user.tokens.access_token })).status).toBe(401);
  });

  it("422 without a password", async () => {
    const user = await createSignedInUser();
    const res = await api("DELETE", "/api/v1/users/me", { token: user.tokens.access_token, json: {} });
    expect(res.status, res.dump).toBe(422);
    await loginAs(user);
  });
});
