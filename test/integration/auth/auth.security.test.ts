import { scrypt } from "node:crypto";
import { argon2id as nobleArgon2id } from "@noble/hashes/argon2.js";
import { decodeJwt } from "jose";
import { describe, expect, it } from "vitest";
import { hashComputationCount } from "../../../src/services/password.ts";
import { countRoundTrips, sql } from "../../helpers/db.ts";
import { createSignedInUser, createUser, loginAs, unique } from "../../helpers/factories.ts";
import { api, envWith } from "../../helpers/harness.ts";

const refresh = (refresh_token: string, env?: ReturnType<typeof envWith>) =>
  api("POST", "/api/v1/auth/refresh", { json: { refresh_token }, env });

describe("refresh-token reuse", () => {
  it("a replay after the grace revokes the whole session and records a security event", async () => {
    const noGrace = envWith({ REFRESH_REUSE_GRACE_SECONDS: "0" });
    const user = await createUser();
    const first = await loginAs(user, { env: noGrace });
    const second = await refresh(first.refresh_token, noGrace);
    expect(second.status, second.dump).toBe(200);
    await new Promise((r) => setTimeout(r, 1100));

    const replay = await refresh(first.refresh_token, noGrace);
    expect(replay.status, replay.dump).toBe(401);
    // The thief's replay also ends the legitimate holder's session: the current tokens are dead too.
    expect((await refresh(second.body.refresh_token, noGrace)).status).toBe(401);
    expect(
      (await api("GET", "/api/v1/users/me", { token: second.body.access_token, env: noGrace })).status,
    ).toBe(401);
    const [session] = await sql`select revoked_at from sessions where user_id = ${user.id}`;
    expect(session?.revoked_at).not.toBeNull();
    const events =
      await sql`select type, metadata->>'session_id' as sid from security_events where user_id = ${user.id} and type = 'refresh_token_reused'`;
    expect(events).toEqual([{ type: "refresh_token_reused", sid: decodeJwt(first.access_token).sid }]);
  });

  it("a token two generations old is a replay even inside the grace", async () => {
    const user = await createSignedInUser();
    const t1 = user.tokens.refresh_token;
    const t2 = (await refresh(t1)).body.refresh_token;
    const t3 = (await refresh(t2)).body.refresh_token;
    expect(t3).toBeTruthy();
    expect((await refresh(t1)).status).toBe(401);
    expect((await refresh(t3)).status).toBe(401);
  });

  it("a replay within the grace returns the current pair instead of failing", async () => {
    const user = await createSignedInUser();
    const rotated = await refresh(user.tokens.refresh_token);
    const replay = await refresh(user.tokens.refresh_token);
    expect(replay.status, replay.dump).toBe(200);
    expect(replay.body.refresh_token).toBe(rotated.body.refresh_token);
    // The session was not revoked: the current token still rotates.
    expect((await refresh(rotated.body.refresh_token)).status).toBe(200);
  });

  it("two concurrent refreshes with the same token both succeed and leave one live session", async () => {
    const user = await createSignedInUser();
    const [a, b] = await Promise.all([
      refresh(user.tokens.refresh_token),
      refresh(user.tokens.refresh_token),
    ]);
    expect(a.status, a.dump).toBe(200);
    expect(b.status, b.dump).toBe(200);
    expect(a.body.refresh_token).toBe(b.body.refresh_token);
    const live = await sql`select id from sessions where user_id = ${user.id} and revoked_at is null`;
    expect(live).toHaveLength(1);
    expect((await refresh(a.body.refresh_token)).status).toBe(200);
  });

  it("an inactive account cannot refresh", async () => {
    const user = await createSignedInUser();
    await sql`update users set is_active = false where id = ${user.id}`;
    expect((await refresh(user.tokens.refresh_token)).status).toBe(401);
  });

  it("an expired session cannot refresh", async () => {
    const user = await createSignedInUser();
    await sql`update sessions set expires_at = now() - interval '1 second' where user_id = ${user.id}`;
    expect((await refresh(user.tokens.refresh_token)).status).toBe(401);
  });

  it("stores refresh tokens only as hashes", async () => {
    const user = await createSignedInUser();
    const [row] = await sql`select refresh_hash from sessions where user_id = ${user.id}`;
    expect(row?.refresh_hash).toMatch(/^[0-9a-f]{64}$/);
    const dump = JSON.stringify(await sql`select * from sessions where user_id = ${user.id}`);
    expect(dump).not.toContain(user.tokens.refresh_token);
  });
});

describe("password hashing work is the same whether or not the account exists", () => {
  it("an unknown user and a wrong password each cost exactly one hash computation", async () => {
    const user = await createUser();
    const measure = async (username: string) => {
      const before = hashComputationCount();
      const res = await api("POST", "/api/v1/auth/login", {
        json: { username, password: "not-the-password" },
      });
      expect(res.status, res.dump).toBe(401);
      return hashComputationCount() - before;
    };
    const unknown = await measure(`nobody_${unique()}`);
    const wrong = await measure(user.username);
    expect(unknown).toBe(1);
    expect(wrong).toBe(unknown);
  });

  /** A password hash made outside the service, as an earlier version of it stored them. */
  async function storedHash(password: string, kind: "scrypt-14-8-5" | "scrypt-13-8-1" | "argon2id-12288-3") {
    const salt = crypto.getRandomValues(new Uint8Array(16));
    const bytes = new TextEncoder().encode(password.normalize("NFKC"));
    const b64 = (b: Uint8Array) => btoa(String.fromCharCode(...b)).replace(/=+$/, "");
    if (kind === "argon2id-12288-3") {
      const key = nobleArgon2id(bytes, salt, { m: 12288, t: 3, p: 1, dkLen: 32 });
      return `$argon2id$v=19$m=12288,t=3,p=1$${b64(salt)}$${b64(key)}`;
    }
    const [ln, r, p] = kind === "scrypt-14-8-5" ? [14, 8, 5] : [13, 8, 1];
    const key = await new Promise<Buffer>((resolve, reject) =>
      scrypt(bytes, salt, 32, { N: 2 ** ln, r, p, maxmem: 64 * 1024 * 1024 }, (e, k) =>
        e ? reject(e) : resolve(k),
      ),
    );
    return `$scrypt$ln=${ln},r=${r},p=${p}$${b64(salt)}$${b64(key)}`;
  }

  it.each(["scrypt-14-8-5", "scrypt-13-8-1", "argon2id-12288-3"] as const)(
    "logging in over a stored %s hash succeeds and replaces it with the current Argon2id",
    async (kind) => {
      const user = await createUser();
      const old = await storedHash(user.password, kind);
      await sql`update users set password_hash = ${old} where id = ${user.id}`;

      const before = hashComputationCount();
      await loginAs(user);
      // One hash to verify the old string, one to make the new one.
      expect(hashComputationCount() - before).toBe(2);
      const [row] = await sql`select password_hash from users where id = ${user.id}`;
      expect(row?.password_hash).toMatch(
        /^\$argon2id\$v=19\$m=7168,t=5,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/,
      );

      // The next login verifies the new string and leaves it alone.
      const again = hashComputationCount();
      await loginAs(user);
      expect(hashComputationCount() - again).toBe(1);
      const [after] = await sql`select password_hash from users where id = ${user.id}`;
      expect(after?.password_hash).toBe(row?.password_hash);
    },
  );

  it("a wrong password against an old hash changes nothing", async () => {
    const user = await createUser();
    const old = await storedHash(user.password, "scrypt-14-8-5");
    await sql`update users set password_hash = ${old} where id = ${user.id}`;
    const res = await api("POST", "/api/v1/auth/login", {
      json: { username: user.username, password: "not-the-password" },
    });
    expect(res.status, res.dump).toBe(401);
    const [row] = await sql`select password_hash from users where id = ${user.id}`;
    expect(row?.password_hash).toBe(old);
  });
});

describe("database round trips (counted at the gateway)", () => {
  it("GET /users/me costs 1, login 2, refresh 1 (targets: 1, at most 2, at most 2)", async () => {
    const user = await createUser();
    const login = await countRoundTrips((env) => loginAs(user, { env }));
    expect(login.sqlRequests).toBe(2);
    const me = await countRoundTrips((env) =>
      api("GET", "/api/v1/users/me", { token: login.result.access_token, env }),
    );
    expect(me.result.status).toBe(200);
    expect(me.sqlRequests).toBe(1);
    const rotated = await countRoundTrips((env) => refresh(login.result.refresh_token, env));
    expect(rotated.result.status).toBe(200);
    expect(rotated.sqlRequests).toBe(1);
    expect(login.wsConnections + me.wsConnections + rotated.wsConnections).toBe(0);
    const failed = await countRoundTrips((env) =>
      api("POST", "/api/v1/auth/login", {
        json: { username: user.username, password: "wrong-password-x" },
        env,
      }),
    );
    expect(failed.result.status).toBe(401);
    expect(failed.sqlRequests).toBe(2);
  });
});
