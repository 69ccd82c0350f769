import { describe, expect, it } from "vitest";
import { sql } from "../../helpers/db.ts";
import { createSignedInUser, createUser, loginAs } from "../../helpers/factories.ts";
import { api } from "../../helpers/harness.ts";

describe("PATCH /users/me errors", () => {
  it("409 when the new username or e-mail belongs to someone else (any case)", async () => {
    const other = await createUser();
    const user = await createSignedInUser();
    for (const json of [
      { username: other.username.toUpperCase() },
      { email: other.email.toUpperCase(), current_password: user.password },
    ]) {
      const res = await api("PATCH", "/api/v1/users/me", { token: user.tokens.access_token, json });
      expect(res.status, res.dump).toBe(409);
      expect(res.body.code).toBe("account_exists");
    }
  });

  it("an e-mail change without current_password is 422, with a wrong one 403 invalid_password; nothing changes", async () => {
    const user = await createSignedInUser();
    const email = `taken_over_${user.username}@example.com`;
    const missing = await api("PATCH", "/api/v1/users/me", {
      token: user.tokens.access_token,
      json: { email },
    });
    expect(missing.status, missing.dump).toBe(422);
    expect(missing.body.errors).toEqual([expect.objectContaining({ path: "current_password" })]);
    const wrong = await api("PATCH", "/api/v1/users/me", {
      token: user.tokens.access_token,
      json: { email, current_password: "not-the-password-1" },
    });
    expect(wrong.status, wrong.dump).toBe(403);
    expect(wrong.body.code).toBe("invalid_password");
    const [row] = await sql`select email from users where id = ${user.id}`;
    expect(row?.email).toBe(user.email);
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

describe("DELETE /users/me errors", () => {
  it("403 invalid_password with a wrong password, and nothing is deleted", async () => {
    const user = await createSignedInUser();
    const wrong = await api("DELETE", "/api/v1/users/me", {
      token: user.tokens.access_token,
      json: { password: "not-it-at-all" },
    });
    expect(wrong.status, wrong.dump).toBe(403);
    expect(wrong.body.code).toBe("invalid_password");
    expect(await sql`select id from users where id = ${user.id}`).toHaveLength(1);
  });

  it("422 without a password", async () => {
    const user = await createSignedInUser();
    const res = await api("DELETE", "/api/v1/users/me", { token: user.tokens.access_token, json: {} });
    expect(res.status, res.dump).toBe(422);
    await loginAs(user);
  });
});
