/**
 * /users/{id}: who may read, change, delete and log out whom, and what each costs in round trips.
 */
import { describe, expect, it } from "vitest";
import { countRoundTrips, sql } from "../../helpers/db.ts";
import { createSignedInUser, createUser, loginAs } from "../../helpers/factories.ts";
import { api } from "../../helpers/harness.ts";
import { signedInWithRole } from "../../helpers/protected-routes.ts";

const MISSING = "0b6c2a8e-8a53-4d6e-9a7c-2f0b1f4d6a11";

describe("GET /api/v1/users/{id}", () => {
  it("a user reads their own account; anyone else's, a missing one and a malformed id are 404", async () => {
    const user = await createSignedInUser();
    const other = await createUser();
    const get = (id: string) => api("GET", `/api/v1/users/${id}`, { token: user.tokens.access_token });
    const own = await get(user.id);
    expect(own.status, own.dump).toBe(200);
    expect(own.body).toMatchObject({ id: user.id, username: user.username, role: "user" });
    for (const id of [other.id, MISSING, "not-a-uuid", "1", `${other.id}x`]) {
      const res = await get(id);
      expect(res.status, res.dump).toBe(404);
      expect(res.body.code).toBe("not_found");
    }
  });

  it.each(["moderator", "admin"] as const)("a %s reads anyone", async (role) => {
    const staff = await signedInWithRole(role);
    const other = await createUser({ full_name: "Grace Hopper" });
    const res = await api("GET", `/api/v1/users/${other.id}`, { token: staff.tokens.access_token });
    expect(res.status, res.dump).toBe(200);
    expect(res.body).toMatchObject({ id: other.id, full_name: "Grace Hopper" });
    expect(res.body).not.toHaveProperty("password_hash");
  });

  it("/users/me still answers as the caller's account (not as an id)", async () => {
    const user = await createSignedInUser();
    const res = await api("GET", "/api/v1/users/me", { token: user.tokens.access_token });
    expect(res.status, res.dump).toBe(200);
    expect(res.body.id).toBe(user.id);
  });

  it("costs one round trip", async () => {
    const admin = await signedInWithRole("admin");
    const other = await createUser();
    const { result, sqlRequests } = await countRoundTrips((env) =>
      api("GET", `/api/v1/users/${other.id}`, { token: admin.tokens.access_token, env }),
    );
    expect(result.status, result.dump).toBe(200);
    expect(sqlRequests).toBe(1);
  });
});

describe("PATCH /api/v1/users/{id}", () => {
  it("an admin changes role, name and verification; the audit row has before/after of what changed", async () => {
    const admin = await signedInWithRole("admin");
    const target = await createUser({ full_name: "Old Name" });
    const res = await api("PATCH", `/api/v1/users/${target.id}`, {
      token: admin.tokens.access_token,
      json: { role: "moderator", full_name: "New Name", email_verified: true, is_active: true },
      headers: { "User-Agent": "admin-test", "CF-Connecting-IP": "192.0.2.9" },
    });
    expect(res.status, res.dump).toBe(200);
    expect(res.body).toMatchObject({ role: "moderator", full_name: "New Name", email_verified: true });
    const rows = await sql`select * from audit_events where target_id = ${target.id}`;
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      actor_id: admin.id,
      action: "user.update",
      ip: "192.0.2.9",
      user_agent: "admin-test",
      changes: {
        role: { before: "user", after: "moderator" },
        full_name: { before: "Old Name", after: "New Name" },
        email_verified: { before: false, after: true },
      },
    });
    // is_active was sent but did not change: not in `changes`.
    expect(rows[0]?.changes).not.toHaveProperty("is_active");
  });

  it("deactivating ends every session of the user; their old token is 401 at once", async () => {
    const admin = await signedInWithRole("admin");
    const target = await createSignedInUser();
    const second = await loginAs(target);
    const res = await api("PATCH", `/api/v1/users/${target.id}`, {
      token: admin.tokens.access_token,
      json: { is_active: false },
    });
    expect(res.status, res.dump).toBe(200);
    expect(res.body.is_active).toBe(false);
    const live = await sql`select id from sessions where user_id = ${target.id} and revoked_at is null`;
    expect(live).toEqual([]);
    for (const token of [target.tokens.access_token, second.access_token])
      expect((await api("GET", "/api/v1/users/me", { token })).status).toBe(401);
    const refresh = await api("POST", "/api/v1/auth/refresh", {
      json: { refresh_token: target.tokens.refresh_token },
    });
    expect(refresh.status, refresh.dump).toBe(401);
  });

  it("a demotion takes effect on the demoted admin's next request with the old token", async () => {
    const admin = await signedInWithRole("admin");
    const other = await signedInWithRole("admin");
    expect((await api("GET", "/api/v1/audit-events", { token: other.tokens.access_token })).status).toBe(200);
    const res = await api("PATCH", `/api/v1/users/${other.id}`, {
      token: admin.tokens.access_token,
      json: { role: "moderator" },
    });
    expect(res.status, res.dump).toBe(200);
    const after = await api("GET", "/api/v1/audit-events", { token: other.tokens.access_token });
    expect(after.status, after.dump).toBe(403);
    // Still a moderator: the list stays open to them.
    expect((await api("GET", "/api/v1/users", { token: other.tokens.access_token })).status).toBe(200);
  });

  it("a moderator may (de)activate a plain user, and nothing else (403)", async () => {
    const moderator = await signedInWithRole("moderator");
    const plain = await createUser();
    const patch = (id: string, json: unknown) =>
      api("PATCH", `/api/v1/users/${id}`, { token: moderator.tokens.access_token, json });
    const ok = await patch(plain.id, { is_active: false });
    expect(ok.status, ok.dump).toBe(200);
    expect(ok.body.is_active).toBe(false);
    expect((await patch(plain.id, { is_active: true })).status).toBe(200);

    const staff = [await signedInWithRole("moderator"), await signedInWithRole("admin")];
    const refused: [string, unknown][] = [
      [plain.id, { role: "admin" }],
      [plain.id, { role: "user" }],
      [plain.id, { is_active: false, full_name: "x" }],
      [plain.id, { email_verified: true }],
      [staff[0]?.id as string, { is_active: false }],
      [staff[1]?.id as string, { is_active: false }],
      [moderator.id, { role: "admin" }],
    ];
    for (const [id, json] of refused) {
      const res = await patch(id, json);
      expect(res.status, res.dump).toBe(403);
      expect(res.body.code).toBe("forbidden");
    }
    const rows = await sql`select role, is_active from users where id in (${plain.id}, ${moderator.id})`;
    expect(rows.every((r) => r.is_active)).toBe(true);
    expect(rows.map((r) => r.role).sort()).toEqual(["moderator", "user"]);
    // A missing user is 404 for a moderator too.
    expect((await patch(MISSING, { is_active: false })).status).toBe(404);
  });

  it("a plain user cannot change anyone, themselves included (403)", async () => {
    const user = await createSignedInUser();
    const other = await createUser();
    for (const id of [user.id, other.id]) {
      const res = await api("PATCH", `/api/v1/users/${id}`, {
        token: user.tokens.access_token,
        json: { role: "admin" },
      });
      expect(res.status, res.dump).toBe(403);
    }
    expect((await sql`select role from users where id = ${user.id}`)[0]?.role).toBe("user");
  });

  it.each([
    ["an unknown field", { credits: 5 }],
    ["id", { id: MISSING }],
    ["password_hash", { password_hash: "x" }],
    ["no field at all", {}],
    ["a wrong role", { role: "root" }],
    ["a string for is_active", { is_active: "false" }],
  ])("422 for %s", async (_label, json) => {
    const admin = await signedInWithRole("admin");
    const target = await createUser();
    const res = await api("PATCH", `/api/v1/users/${target.id}`, { token: admin.tokens.access_token, json });
    expect(res.status, res.dump).toBe(422);
    expect(res.body.code).toBe("validation_failed");
  });

  it("404 for a missing user or a malformed id", async () => {
    const admin = await signedInWithRole("admin");
    for (const id of [MISSING, "nope"]) {
      const res = await api("PATCH", `/api/v1/users/${id}`, {
        token: admin.tokens.access_token,
        json: { is_active: true },
      });
      expect(res.status, res.dump).toBe(404);
      expect(res.body.code).toBe("not_found");
    }
  });

  it.each([
    ["a plain change", { full_name: "Counted" }],
    ["a deactivation (behind the admin lock)", { is_active: false }],
  ])("%s costs one round trip", async (_label, json) => {
    const admin = await signedInWithRole("admin");
    const target = await createUser();
    const { result, sqlRequests } = await countRoundTrips((env) =>
      api("PATCH", `/api/v1/users/${target.id}`, { token: admin.tokens.access_token, json, env }),
    );
    expect(result.status, result.dump).toBe(200);
    expect(sqlRequests).toBe(1);
  });
});

describe("DELETE /api/v1/users/{id}", () => {
  it("an admin deletes a user: sessions go, the audit row stays", async () => {
    const admin = await signedInWithRole("admin");
    const target = await createSignedInUser();
    const { result, sqlRequests } = await countRoundTrips((env) =>
      api("DELETE", `/api/v1/users/${target.id}`, { token: admin.tokens.access_token, env }),
    );
    expect(result.status, result.dump).toBe(204);
    expect(sqlRequests).toBe(1);
    expect(await sql`select id from users where id = ${target.id}`).toEqual([]);
    expect(await sql`select id from sessions where user_id = ${target.id}`).toEqual([]);
    expect((await api("GET", "/api/v1/users/me", { token: target.tokens.access_token })).status).toBe(401);
    const [audit] = await sql`select * from audit_events where target_id = ${target.id}`;
    expect(audit).toMatchObject({
      actor_id: admin.id,
      action: "user.delete",
      changes: { username: { before: target.username, after: null }, role: { before: "user", after: null } },
    });
    const again = await api("DELETE", `/api/v1/users/${target.id}`, { token: admin.tokens.access_token });
    expect(again.status, again.dump).toBe(404);
  });

  it.each(["user", "moderator"] as const)("a %s cannot delete anyone (403)", async (role) => {
    const caller = await signedInWithRole(role);
    const target = await createUser();
    const res = await api("DELETE", `/api/v1/users/${target.id}`, { token: caller.tokens.access_token });
    expect(res.status, res.dump).toBe(403);
    expect(await sql`select id from users where id = ${target.id}`).toHaveLength(1);
  });
});

describe("POST /api/v1/users/{id}/revoke-sessions", () => {
  it("ends every live session of the user, tells them, and is audited; one round trip", async () => {
    const admin = await signedInWithRole("admin");
    const target = await createSignedInUser();
    await loginAs(target);
    const { result, sqlRequests } = await countRoundTrips((env) =>
      api("POST", `/api/v1/users/${target.id}/revoke-sessions`, { token: admin.tokens.access_token, env }),
    );
    expect(result.status, result.dump).toBe(200);
    expect(result.body).toEqual({ revoked: 2 });
    expect(sqlRequests).toBe(1);
    expect((await api("GET", "/api/v1/users/me", { token: target.tokens.access_token })).status).toBe(401);
    const [audit] = await sql`select * from audit_events where target_id = ${target.id}`;
    expect(audit).toMatchObject({
      actor_id: admin.id,
      action: "user.sessions_revoke",
      changes: { live_sessions: { before: 2, after: 0 } },
    });
    const events =
      await sql`select metadata from security_events where user_id = ${target.id} and type = 'session_revoked'`;
    expect(events.map((e) => e.metadata)).toEqual([{ by: "admin", sessions: 2 }]);
    // The account itself stays usable: a new login works.
    expect((await loginAs(target)).access_token).toBeTruthy();
  });

  it("404 for a missing user; 403 for a moderator", async () => {
    const admin = await signedInWithRole("admin");
    const res = await api("POST", `/api/v1/users/${MISSING}/revoke-sessions`, {
      token: admin.tokens.access_token,
    });
    expect(res.status, res.dump).toBe(404);
    const moderator = await signedInWithRole("moderator");
    const target = await createSignedInUser();
    const refused = await api("POST", `/api/v1/users/${target.id}/revoke-sessions`, {
      token: moderator.tokens.access_token,
    });
    expect(refused.status, refused.dump).toBe(403);
    expect((await api("GET", "/api/v1/users/me", { token: target.tokens.access_token })).status).toBe(200);
  });
});
