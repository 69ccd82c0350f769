import { decodeJwt, decodeProtectedHeader, exportJWK, generateKeyPair, SignJWT } from "jose";
import { describe, expect, it } from "vitest";
import { hsKid } from "../../../src/services/tokens.ts";
import { sql } from "../../helpers/db.ts";
import { createSignedInUser, createUser, loginAs, STRONG_PASSWORD, unique } from "../../helpers/factories.ts";
import { api, envWith, testEnv } from "../../helpers/harness.ts";

describe("register", () => {
  it.each(["/api/v1/auth/register", "/api/v1/users"])(
    "POST %s creates a user and answers the public User",
    async (path) => {
      const username = `New_${unique()}`;
      const res = await api("POST", path, {
        json: {
          username,
          email: `${username}@Example.com`,
          password: STRONG_PASSWORD,
          password_confirm: STRONG_PASSWORD,
          full_name: "Ada Lovelace",
        },
      });
      expect(res.status, res.dump).toBe(201);
      expect(res.body).toMatchObject({
        username,
        email: `${username}@Example.com`,
        full_name: "Ada Lovelace",
        avatar_url: null,
        role: "user",
        is_active: true,
        is_superuser: false,
        email_verified: false,
        credits: 0,
        last_login: null,
      });
      expect(Object.keys(res.body).sort()).toEqual(
        [
          "avatar_url",
          "created_at",
          "credits",
          "email",
          "email_verified",
          "full_name",
          "id",
          "is_active",
          "is_superuser",
          "last_login",
          "role",
          "updated_at",
          "username",
        ].sort(),
      );
      const [row] = await sql`select password_hash from users where id = ${res.body.id}`;
      expect(row?.password_hash).toMatch(/^\$argon2id\$v=19\$m=7168,t=5,p=1\$/);
      expect(res.text).not.toContain(row?.password_hash);
    },
  );
});

describe("login", () => {
  it("returns a token pair with the documented lifetimes and claims", async () => {
    const user = await createUser();
    const pair = await loginAs(user);
    expect(pair.token_type).toBe("Bearer");
    expect(pair.expires_in).toBe(3600);
    expect(pair.refresh_expires_in).toBe(7 * 24 * 3600);
    expect(pair.refresh_token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const header = decodeProtectedHeader(pair.access_token);
    expect(header).toMatchObject({
      alg: "HS256",
      kid: await hsKid(testEnv.JWT_SECRET as string),
      typ: "JWT",
    });
    const claims = decodeJwt(pair.access_token);
    expect(claims).toMatchObject({ iss: "edge-auth-api", aud: "edge-auth-api", sub: user.id, role: "user" });
    expect(claims.sid).toMatch(/^[0-9a-f-]{36}$/);
    expect(typeof claims.jti).toBe("string");
    expect((claims.exp as number) - (claims.iat as number)).toBe(3600);
  });

  it.each([
    ["username", (u: { username: string }) => ({ username: u.username })],
    ["username in other case", (u: { username: string }) => ({ username: u.username.toUpperCase() })],
    ["e-mail in the username field", (u: { email: string }) => ({ username: u.email })],
    ["email field", (u: { email: string }) => ({ email: u.email.toUpperCase() })],
  ])("accepts the %s", async (_label, identify) => {
    const user = await createUser();
    const res = await api("POST", "/api/v1/auth/login", {
      json: { ...identify(user), password: user.password },
    });
    expect(res.status, res.dump).toBe(200);
    expect(decodeJwt(res.body.access_token).sub).toBe(user.id);
  });

  it("accepts the OAuth2 password flow as form data, and /login-json as an alias", async () => {
    const user = await createUser();
    const form = await api("POST", "/api/v1/auth/login", {
      form: { grant_type: "password", username: user.username, password: user.password, scope: "" },
    });
    expect(form.status, form.dump).toBe(200);
    const alias = await api("POST", "/api/v1/auth/login-json", {
      json: { username: user.username, password: user.password },
    });
    expect(alias.status, alias.dump).toBe(200);
  });

  it("remember_me lengthens the refresh lifetime to 30 days", async () => {
    const user = await createUser();
    const pair = await loginAs(user, { remember_me: true });
    expect(pair.refresh_expires_in).toBe(30 * 24 * 3600);
    const [row] =
      await sql`select extract(epoch from expires_at - now())::int as left from sessions where user_id = ${user.id}`;
    expect(row?.left).toBeGreaterThan(30 * 24 * 3600 - 60);
  });

  it("updates last_login and records the device (user agent, IP, country, city)", async () => {
    const user = await createUser();
    const res = await api("POST", "/api/v1/auth/login", {
      json: { username: user.username, password: user.password },
      headers: { "User-Agent": "TestBrowser/1.0", "CF-Connecting-IP": "203.0.113.7" },
      cf: { country: "DE", city: "Berlin" },
    });
    expect(res.status, res.dump).toBe(200);
    const [session] =
      await sql`select user_agent, ip, country, city from sessions where user_id = ${user.id}`;
    expect(session).toEqual({
      user_agent: "TestBrowser/1.0",
      ip: "203.0.113.7",
      country: "DE",
      city: "Berlin",
    });
    const me = await api("GET", "/api/v1/users/me", { token: res.body.access_token });
    expect(me.body.last_login).not.toBeNull();
    const [event] =
      await sql`select type, ip from security_events where user_id = ${user.id} and type = 'login_succeeded'`;
    expect(event).toEqual({ type: "login_succeeded", ip: "203.0.113.7" });
  });
});

describe("refresh", () => {
  it("rotates: a new pair whose access token works, and the same session", async () => {
    const user = await createSignedInUser();
    const res = await api("POST", "/api/v1/auth/refresh", {
      json: { refresh_token: user.tokens.refresh_token },
    });
    expect(res.status, res.dump).toBe(200);
    expect(res.body.refresh_token).not.toBe(user.tokens.refresh_token);
    expect(decodeJwt(res.body.access_token).sid).toBe(decodeJwt(user.tokens.access_token).sid);
    const me = await api("GET", "/api/v1/users/me", { token: res.body.access_token });
    expect(me.status, me.dump).toBe(200);
    const again = await api("POST", "/api/v1/auth/refresh", {
      json: { refresh_token: res.body.refresh_token },
    });
    expect(again.status, again.dump).toBe(200);
  });
});

describe("logout", () => {
  it("ends this session only: its access token stops working at once, others keep working", async () => {
    const user = await createUser();
    const a = await loginAs(user);
    const b = await loginAs(user);
    const res = await api("POST", "/api/v1/auth/logout", { token: a.access_token });
    expect(res.status, res.dump).toBe(204);
    expect((await api("GET", "/api/v1/users/me", { token: a.access_token })).status).toBe(401);
    expect(
      (await api("POST", "/api/v1/auth/refresh", { json: { refresh_token: a.refresh_token } })).status,
    ).toBe(401);
    expect((await api("GET", "/api/v1/users/me", { token: b.access_token })).status).toBe(200);
    const events = await sql`select type from security_events where user_id = ${user.id} and type = 'logout'`;
    expect(events).toHaveLength(1);
  });

  it("logout-all ends every session of the user", async () => {
    const user = await createUser();
    const a = await loginAs(user);
    const b = await loginAs(user);
    const res = await api("POST", "/api/v1/auth/logout-all", { token: a.access_token });
    expect(res.status, res.dump).toBe(204);
    for (const pair of [a, b]) {
      expect((await api("GET", "/api/v1/users/me", { token: pair.access_token })).status).toBe(401);
      expect(
        (await api("POST", "/api/v1/auth/refresh", { json: { refresh_token: pair.refresh_token } })).status,
      ).toBe(401);
    }
  });
});

describe("password change", () => {
  it("changes the password and ends every other session, keeping this one", async () => {
    const user = await createUser();
    const mine = await loginAs(user);
    const other = await loginAs(user);
    const res = await api("POST", "/api/v1/auth/password/change", {
      token: mine.access_token,
      json: { current_password: user.password, new_password: "a-brand-new-passphrase" },
    });
    expect(res.status, res.dump).toBe(200);
    expect((await api("GET", "/api/v1/users/me", { token: mine.access_token })).status).toBe(200);
    expect((await api("GET", "/api/v1/users/me", { token: other.access_token })).status).toBe(401);
    expect(
      (
        await api("POST", "/api/v1/auth/login", {
          json: { username: user.username, password: user.password },
        })
      ).status,
    ).toBe(401);
    expect(
      (
        await api("POST", "/api/v1/auth/login", {
          json: { username: user.username, password: "a-brand-new-passphrase" },
        })
      ).status,
    ).toBe(200);
    const events =
      await sql`select type from security_events where user_id = ${user.id} and type = 'password_changed'`;
    expect(events).toHaveLength(1);
  });
});

describe("JWKS and signing keys", () => {
  it.each(["/api/v1/auth/jwks.json", "/.well-known/jwks.json"])(
    "%s is empty with HS256 (the secret is never published)",
    async (path) => {
      const res = await api("GET", path);
      expect(res.status, res.dump).toBe(200);
      expect(res.body).toEqual({ keys: [] });
    },
  );

  it("with an EdDSA private key: signs EdDSA, publishes only the public key, and verifies its tokens", async () => {
    const { privateKey } = await generateKeyPair("EdDSA", { extractable: true });
    const jwk = { ...(await exportJWK(privateKey)), alg: "EdDSA", kid: "ed-2026" };
    const env = envWith({ JWT_PRIVATE_KEY: JSON.stringify(jwk) });
    const keys = await api("GET", "/.well-known/jwks.json", { env });
    expect(keys.body.keys).toHaveLength(1);
    expect(keys.body.keys[0]).toMatchObject({
      kty: "OKP",
      crv: "Ed25519",
      kid: "ed-2026",
      alg: "EdDSA",
      use: "sig",
    });
    expect(keys.body.keys[0].d).toBeUndefined();
    const user = await createUser();
    const pair = await loginAs(user, { env });
    expect(decodeProtectedHeader(pair.access_token)).toMatchObject({ alg: "EdDSA", kid: "ed-2026" });
    expect((await api("GET", "/api/v1/users/me", { token: pair.access_token, env })).status).toBe(200);
  });

  it("accepts tokens signed with a previous secret while keys rotate", async () => {
    const user = await createUser();
    const oldPair = await loginAs(user);
    const rotated = envWith({
      JWT_SECRET: "a-new-secret-a-new-secret-a-new-secret-0123",
      JWT_PREVIOUS_SECRETS: testEnv.JWT_SECRET,
    });
    expect((await api("GET", "/api/v1/users/me", { token: oldPair.access_token, env: rotated })).status).toBe(
      200,
    );
    const newPair = await loginAs(user, { env: rotated });
    expect(decodeProtectedHeader(newPair.access_token).kid).toBe(
      await hsKid("a-new-secret-a-new-secret-a-new-secret-0123"),
    );
    // Without the old secret listed, the old token is refused.
    const dropped = envWith({ JWT_SECRET: "a-new-secret-a-new-secret-a-new-secret-0123" });
    expect((await api("GET", "/api/v1/users/me", { token: oldPair.access_token, env: dropped })).status).toBe(
      401,
    );
  });

  it("refuses a token for a kid it does not know even when the signature would match another key", async () => {
    const user = await createSignedInUser();
    const claims = decodeJwt(user.tokens.access_token);
    const forged = await new SignJWT(claims)
      .setProtectedHeader({ alg: "HS256", kid: "someone-else" })
      .sign(new TextEncoder().encode(testEnv.JWT_SECRET as string));
    expect((await api("GET", "/api/v1/users/me", { token: forged })).status).toBe(401);
  });
});
