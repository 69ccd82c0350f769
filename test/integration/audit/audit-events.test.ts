/**
 * GET /api/v1/audit-events (admins) and GET /api/v1/users/me/security-events (the caller's own).
 */
import { describe, expect, it } from "vitest";
import { countRoundTrips, sql } from "../../helpers/db.ts";
import { createSignedInUser, createUser, loginAs, unique } from "../../helpers/factories.ts";
import { api } from "../../helpers/harness.ts";
import { signedInWithRole } from "../../helpers/protected-routes.ts";

describe("GET /api/v1/audit-events", () => {
  it("lists newest first and filters by actor, target and action", async () => {
    const admin = await signedInWithRole("admin");
    const other = await signedInWithRole("admin");
    const target = await createSignedInUser();
    const patch = (by: typeof admin, json: unknown) =>
      api("PATCH", `/api/v1/users/${target.id}`, { token: by.tokens.access_token, json });
    expect((await patch(admin, { full_name: "First" })).status).toBe(200);
    expect((await patch(other, { full_name: "Second" })).status).toBe(200);
    expect(
      (
        await api("POST", `/api/v1/users/${target.id}/revoke-sessions`, {
          token: admin.tokens.access_token,
        })
      ).status,
    ).toBe(200);
    const list = (query: string) =>
      api("GET", `/api/v1/audit-events?${query}`, { token: admin.tokens.access_token });

    const byTarget = await list(`target_id=${target.id}`);
    expect(byTarget.status, byTarget.dump).toBe(200);
    expect(byTarget.body).toMatchObject({ total: 3, skip: 0, limit: 10 });
    expect(byTarget.body.items.map((e: { action: string }) => e.action)).toEqual([
      "user.sessions_revoke",
      "user.update",
      "user.update",
    ]);
    expect(byTarget.body.items[1]).toEqual({
      id: expect.any(String),
      actor_id: other.id,
      target_id: target.id,
      action: "user.update",
      changes: { full_name: { before: "First", after: "Second" } },
      ip: null,
      user_agent: null,
      created_at: expect.stringMatching(/Z$/),
    });

    const byActor = await list(`target_id=${target.id}&actor_id=${other.id}`);
    expect(byActor.body.total).toBe(1);
    const byAction = await list(`target_id=${target.id}&action=user.update&limit=1&skip=1`);
    expect(byAction.body).toMatchObject({ total: 2, skip: 1, limit: 1 });
    expect(byAction.body.items[0].changes).toEqual({ full_name: { before: null, after: "First" } });
    expect((await list(`actor_id=${crypto.randomUUID()}`)).body).toMatchObject({ items: [], total: 0 });
  });

  it("keeps the entries of a deleted user", async () => {
    const admin = await signedInWithRole("admin");
    const target = await createUser();
    await api("PATCH", `/api/v1/users/${target.id}`, {
      token: admin.tokens.access_token,
      json: { email_verified: true },
    });
    expect(
      (await api("DELETE", `/api/v1/users/${target.id}`, { token: admin.tokens.access_token })).status,
    ).toBe(204);
    const res = await api("GET", `/api/v1/audit-events?target_id=${target.id}`, {
      token: admin.tokens.access_token,
    });
    expect(res.body.items.map((e: { action: string }) => e.action)).toEqual(["user.delete", "user.update"]);
  });

  it.each(["actor_id=nope", "target_id=1", "limit=0", "limit=101", "skip=-1", "action="])(
    "422 for %s",
    async (query) => {
      const admin = await signedInWithRole("admin");
      const res = await api("GET", `/api/v1/audit-events?${query}`, { token: admin.tokens.access_token });
      expect(res.status, res.dump).toBe(422);
    },
  );

  it("is read-only: no route writes or deletes entries", async () => {
    const admin = await signedInWithRole("admin");
    for (const method of ["POST", "PATCH", "DELETE"]) {
      const res = await api(method, "/api/v1/audit-events", { token: admin.tokens.access_token, json: {} });
      expect(res.status, res.dump).toBe(405);
    }
  });

  it.each(["user", "moderator"] as const)("a %s gets 403", async (role) => {
    const caller = await signedInWithRole(role);
    const res = await api("GET", "/api/v1/audit-events", { token: caller.tokens.access_token });
    expect(res.status, res.dump).toBe(403);
  });

  it("costs one round trip", async () => {
    const admin = await signedInWithRole("admin");
    const { result, sqlRequests } = await countRoundTrips((env) =>
      api("GET", "/api/v1/audit-events?action=user.update", { token: admin.tokens.access_token, env }),
    );
    expect(result.status, result.dump).toBe(200);
    expect(sqlRequests).toBe(1);
  });
});

describe("GET /api/v1/users/me/security-events", () => {
  it("lists only the caller's own events, newest first, filtered by type", async () => {
    const user = await createSignedInUser();
    const other = await createSignedInUser();
    await api("POST", "/api/v1/auth/login", {
      json: { username: user.username, password: "wrong-one-1234" },
    });
    await loginAs(user, { headers: { "User-Agent": `agent-${unique()}` } });
    const list = (query = "") =>
      api("GET", `/api/v1/users/me/security-events${query}`, { token: user.tokens.access_token });
    const all = await list();
    expect(all.status, all.dump).toBe(200);
    expect(all.body.items.map((e: { type: string }) => e.type)).toEqual([
      "login_succeeded",
      "login_failed",
      "login_succeeded",
    ]);
    expect(all.body.total).toBe(3);
    expect(Object.keys(all.body.items[0]).sort()).toEqual(
      ["created_at", "id", "ip", "metadata", "type", "user_agent"].sort(),
    );
    const own = await sql`select id from security_events where user_id = ${user.id}`;
    expect(all.body.items.map((e: { id: string }) => e.id).sort()).toEqual(own.map((r) => r.id).sort());
    const otherIds = (await sql`select id from security_events where user_id = ${other.id}`).map((r) => r.id);
    expect(all.body.items.some((e: { id: string }) => otherIds.includes(e.id))).toBe(false);

    const failed = await list("?type=login_failed");
    expect(failed.body).toMatchObject({ total: 1 });
    expect(failed.body.items[0].type).toBe("login_failed");
    const paged = await list("?type=login_succeeded&skip=1&limit=1");
    expect(paged.body).toMatchObject({ total: 2, skip: 1, limit: 1 });
  });

  it.each(["?type=hacked", "?limit=0", "?skip=-2"])("422 for %s", async (query) => {
    const user = await createSignedInUser();
    const res = await api("GET", `/api/v1/users/me/security-events${query}`, {
      token: user.tokens.access_token,
    });
    expect(res.status, res.dump).toBe(422);
  });

  it("costs one round trip", async () => {
    const user = await createSignedInUser();
    const { result, sqlRequests } = await countRoundTrips((env) =>
      api("GET", "/api/v1/users/me/security-events", { token: user.tokens.access_token, env }),
    );
    expect(result.status, result.dump).toBe(200);
    expect(sqlRequests).toBe(1);
  });
});
