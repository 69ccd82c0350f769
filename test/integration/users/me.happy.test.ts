import { describe, expect, it } from "vitest";
import { sql } from "../../helpers/db.ts";
import { createSignedInUser, unique } from "../../helpers/factories.ts";
import { api } from "../../helpers/harness.ts";

describe("GET /users/me", () => {
  it("returns the caller", async () => {
    const user = await createSignedInUser();
    const res = await api("GET", "/api/v1/users/me", { token: user.tokens.access_token });
    expect(res.status, res.dump).toBe(200);
    expect(res.body).toMatchObject({ id: user.id, username: user.username, email: user.email, role: "user" });
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
      json: { email: user.email.toUpperCase(), current_password: user.password },
    });
    expect(same.body.email_verified, same.dump).toBe(true);
    const email = `new_${unique()}@example.com`;
    const res = await api("PATCH", "/api/v1/users/me", {
      token: user.tokens.access_token,
      json: { email, current_password: user.password },
    });
    expect(res.status, res.dump).toBe(200);
    expect(res.body).toMatchObject({ email, email_verified: false });
    const events =
      await sql`select metadata->>'to' as "to" from security_events where user_id = ${user.id} and type = 'email_changed'`;
    expect(events).toEqual([{ to: email }]);
  });
});

describe("DELETE /users/me", () => {
  it("204 with the right password, after which the account, its sessions and its tokens are gone", async () => {
    const user = await createSignedInUser();
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
});
