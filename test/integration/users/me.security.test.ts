import { describe, expect, it } from "vitest";
import { sql } from "../../helpers/db.ts";
import { createSignedInUser } from "../../helpers/factories.ts";
import { api } from "../../helpers/harness.ts";

describe("/users/me security", () => {
  it("401 once the account is deactivated", async () => {
    const user = await createSignedInUser();
    await sql`update users set is_active = false where id = ${user.id}`;
    expect((await api("GET", "/api/v1/users/me", { token: user.tokens.access_token })).status).toBe(401);
  });

  it.each([
    ["role", { role: "admin" }],
    ["is_active", { is_active: false }],
    ["credits", { credits: 1000 }],
    ["email_verified", { email_verified: true }],
    ["id", { id: "0b6c2a8e-8a53-4d6e-9a7c-2f0b1f4d6a11" }],
    ["role, with an allowed field beside it", { full_name: "Jane", role: "admin" }],
  ])("refuses the privileged field %s with 422 and changes nothing", async (_field, json) => {
    const user = await createSignedInUser();
    const res = await api("PATCH", "/api/v1/users/me", { token: user.tokens.access_token, json });
    expect(res.status, res.dump).toBe(422);
    const [row] =
      await sql`select role, is_active, credits, email_verified_at from users where id = ${user.id}`;
    expect(row).toEqual({ role: "user", is_active: true, credits: 0, email_verified_at: null });
    expect((await sql`select full_name from users where id = ${user.id}`)[0]?.full_name).toBeNull();
  });
});
