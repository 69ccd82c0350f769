import { decodeJwt } from "jose";
import { describe, expect, it } from "vitest";
import { sql } from "../../helpers/db.ts";
import { createSignedInUser, createUser, loginAs } from "../../helpers/factories.ts";
import { api, envWith } from "../../helpers/harness.ts";

const refresh = (refresh_token: string, env?: ReturnType<typeof envWith>) =>
  api("POST", "/api/v1/auth/refresh", { json: { refresh_token }, env });

describe("session lifetime and replay detection", () => {
  it("a session's absolute lifetime caps the refresh lifetime, and refreshes cannot extend it", async () => {
    const env = envWith({ SESSION_MAX_LIFETIME_SECONDS: "120" });
    const user = await createUser();
    const pair = await loginAs(user, { remember_me: true, env });
    expect(pair.refresh_expires_in).toBe(120);
    const sid = decodeJwt(pair.access_token).sid as string;
    // 100 s into the session, a refresh may only give what is left of the 120 s.
    await sql`update sessions set created_at = now() - interval '100 seconds' where id = ${sid}`;
    const rotated = await refresh(pair.refresh_token, env);
    expect(rotated.status, rotated.dump).toBe(200);
    expect(rotated.body.refresh_expires_in).toBeGreaterThan(10);
    expect(rotated.body.refresh_expires_in).toBeLessThanOrEqual(20);
    const [row] =
      await sql`select extract(epoch from expires_at - created_at)::int as lifetime from sessions where id = ${sid}`;
    expect(row?.lifetime).toBeLessThanOrEqual(120);
    // Past the absolute lifetime, nothing brings the session back.
    await sql`update sessions set created_at = now() - interval '200 seconds', expires_at = now() - interval '80 seconds' where id = ${sid}`;
    expect((await refresh(rotated.body.refresh_token, env)).status).toBe(401);
  });

  it("defaults to 90 days: a 30-day remember-me session refreshed 89 days in gets one day", async () => {
    const user = await createUser();
    const pair = await loginAs(user, { remember_me: true });
    const sid = decodeJwt(pair.access_token).sid as string;
    await sql`update sessions set created_at = now() - interval '89 days' where id = ${sid}`;
    const rotated = await refresh(pair.refresh_token);
    expect(rotated.status, rotated.dump).toBe(200);
    expect(rotated.body.refresh_expires_in).toBeLessThanOrEqual(86400);
    expect(rotated.body.refresh_expires_in).toBeGreaterThan(86000);
  });

  it("replaying a token rotated away 120 rotations ago still revokes the session", async () => {
    const user = await createSignedInUser();
    const first = user.tokens.refresh_token;
    let current = first;
    for (let i = 0; i < 120; i++) {
      const res = await refresh(current);
      expect(res.status, res.dump).toBe(200);
      current = res.body.refresh_token;
    }
    expect((await refresh(first)).status).toBe(401);
    expect((await refresh(current)).status).toBe(401);
    const sid = decodeJwt(user.tokens.access_token).sid as string;
    const [session] = await sql`select revoked_at from sessions where id = ${sid}`;
    expect(session?.revoked_at).not.toBeNull();
    const [{ n }] =
      (await sql`select count(*)::int as n from retired_refresh_tokens where session_id = ${sid}`) as [
        { n: number },
      ];
    expect(n).toBe(120);
  });
});

describe("password change counts only live sessions", () => {
  it("reports the other live sessions it ended, not expired or already revoked ones", async () => {
    const user = await createSignedInUser();
    const other = await loginAs(user);
    const expired = await loginAs(user);
    const revoked = await loginAs(user);
    const sid = (t: { access_token: string }) => decodeJwt(t.access_token).sid as string;
    await sql`update sessions set expires_at = now() - interval '1 second' where id = ${sid(expired)}`;
    await sql`update sessions set revoked_at = now() - interval '1 hour' where id = ${sid(revoked)}`;
    const res = await api("POST", "/api/v1/auth/password/change", {
      token: user.tokens.access_token,
      json: { current_password: user.password, new_password: "a-different-passphrase-9" },
    });
    expect(res.status, res.dump).toBe(200);
    expect(res.body.detail).toBe("Password changed; 1 other session(s) ended.");
    const [row] = await sql`select revoked_at from sessions where id = ${sid(other)}`;
    expect(row?.revoked_at).not.toBeNull();
    const [keptExpiry] = await sql`select revoked_at from sessions where id = ${sid(expired)}`;
    expect(keptExpiry?.revoked_at).toBeNull();
  });
});

describe("login with multipart/form-data", () => {
  it("works like the urlencoded form", async () => {
    const user = await createUser();
    const form = new FormData();
    form.set("username", user.username);
    form.set("password", user.password);
    const res = await api("POST", "/api/v1/auth/login", { body: form });
    expect(res.status, res.dump).toBe(200);
    expect(res.body.token_type).toBe("Bearer");
    const bad = new FormData();
    bad.set("username", user.username);
    bad.set("password", "wrong-password-123");
    const refused = await api("POST", "/api/v1/auth/login", { body: bad });
    expect(refused.status, refused.dump).toBe(401);
    const missing = new FormData();
    missing.set("username", user.username);
    const invalid = await api("POST", "/api/v1/auth/login", { body: missing });
    expect(invalid.status, invalid.dump).toBe(422);
    expect(invalid.body.errors).toEqual([expect.objectContaining({ path: "password" })]);
  });
});
