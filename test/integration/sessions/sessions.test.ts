import { decodeJwt } from "jose";
import { describe, expect, it } from "vitest";
import { countRoundTrips, sql } from "../../helpers/db.ts";
import { createSignedInUser, createUser, loginAs } from "../../helpers/factories.ts";
import { api } from "../../helpers/harness.ts";

const sid = (accessToken: string) => decodeJwt(accessToken).sid as string;
const me = (token: string) => api("GET", "/api/v1/users/me", { token });
const refresh = (refresh_token: string) => api("POST", "/api/v1/auth/refresh", { json: { refresh_token } });

describe("GET /api/v1/users/me/sessions", () => {
  it("lists the caller's live sessions, most recently used first, marking the current one", async () => {
    const user = await createUser();
    const phone = await loginAs(user, {
      headers: { "User-Agent": "Phone/1.0", "CF-Connecting-IP": "192.0.2.10" },
    });
    const laptop = await loginAs(user, { headers: { "User-Agent": "Laptop/2.0" } });
    const ended = await loginAs(user);
    await api("POST", "/api/v1/auth/logout", { token: ended.access_token });
    // Someone else's session never shows.
    await createSignedInUser();
    // The phone refreshes last, so it is the most recently used.
    await sql`update sessions set last_used_at = now() + interval '1 minute' where id = ${sid(phone.access_token)}`;

    const res = await api("GET", "/api/v1/users/me/sessions", { token: laptop.access_token });
    expect(res.status, res.dump).toBe(200);
    expect(res.body).toMatchObject({ total: 2, skip: 0, limit: 10 });
    expect(res.body.items).toEqual([
      expect.objectContaining({
        id: sid(phone.access_token),
        user_agent: "Phone/1.0",
        ip: "192.0.2.10",
        current: false,
      }),
      expect.objectContaining({ id: sid(laptop.access_token), user_agent: "Laptop/2.0", current: true }),
    ]);
    expect(Object.keys(res.body.items[0]).sort()).toEqual(
      ["city", "country", "created_at", "current", "id", "ip", "last_used_at", "user_agent"].sort(),
    );

    const page = await api("GET", "/api/v1/users/me/sessions?skip=1&limit=1", { token: laptop.access_token });
    expect(page.body).toMatchObject({ total: 2, skip: 1, limit: 1 });
    expect(page.body.items.map((s: { id: string }) => s.id)).toEqual([sid(laptop.access_token)]);
  });

  it.each(["limit=0", "limit=101", "skip=-1"])("422 for %s", async (query) => {
    const user = await createSignedInUser();
    const res = await api("GET", `/api/v1/users/me/sessions?${query}`, { token: user.tokens.access_token });
    expect(res.status, res.dump).toBe(422);
  });
});

describe("DELETE /api/v1/users/me/sessions/{id}", () => {
  it("ends that device at once (access and refresh token), leaves the others, records session_revoked", async () => {
    const user = await createUser();
    const laptop = await loginAs(user);
    const phone = await loginAs(user);
    const res = await api("DELETE", `/api/v1/users/me/sessions/${sid(phone.access_token)}`, {
      token: laptop.access_token,
    });
    expect(res.status, res.dump).toBe(204);

    const phoneMe = await me(phone.access_token);
    expect(phoneMe.status, phoneMe.dump).toBe(401);
    expect((await refresh(phone.refresh_token)).status).toBe(401);

    expect((await me(laptop.access_token)).status).toBe(200);
    expect((await refresh(laptop.refresh_token)).status).toBe(200);

    const events =
      await sql`select type, metadata from security_events where user_id = ${user.id} and type = 'session_revoked'`;
    expect(events).toEqual([
      { type: "session_revoked", metadata: { session_id: sid(phone.access_token), current: false } },
    ]);
    // Once ended, the same id is 404.
    const again = await api("DELETE", `/api/v1/users/me/sessions/${sid(phone.access_token)}`, {
      token: laptop.access_token,
    });
    expect(again.status, again.dump).toBe(404);
  });

  it("ending the current session works like logout", async () => {
    const user = await createSignedInUser();
    const res = await api("DELETE", `/api/v1/users/me/sessions/${sid(user.tokens.access_token)}`, {
      token: user.tokens.access_token,
    });
    expect(res.status, res.dump).toBe(204);
    expect((await me(user.tokens.access_token)).status).toBe(401);
    expect((await refresh(user.tokens.refresh_token)).status).toBe(401);
  });

  it.each([
    ["another user's session", "foreign"],
    ["an unknown id", crypto.randomUUID()],
    ["a malformed id", "not-a-uuid"],
  ])("%s is 404 not_found, and nothing is ended", async (_label, id) => {
    const caller = await createSignedInUser();
    const other = await createSignedInUser();
    const target = id === "foreign" ? sid(other.tokens.access_token) : id;
    const res = await api("DELETE", `/api/v1/users/me/sessions/${target}`, {
      token: caller.tokens.access_token,
    });
    expect(res.status, res.dump).toBe(404);
    expect(res.body.code).toBe("not_found");
    expect((await me(other.tokens.access_token)).status).toBe(200);
  });

  it("a dead session gets 401, not 404, even for a malformed id", async () => {
    const user = await createSignedInUser();
    await api("POST", "/api/v1/auth/logout", { token: user.tokens.access_token });
    const res = await api("DELETE", "/api/v1/users/me/sessions/not-a-uuid", {
      token: user.tokens.access_token,
    });
    expect(res.status, res.dump).toBe(401);
  });
});

describe("device routes: database round trips", () => {
  it("the list costs one, ending a device one", async () => {
    const user = await createUser();
    const laptop = await loginAs(user);
    const phone = await loginAs(user);
    const list = await countRoundTrips((env) =>
      api("GET", "/api/v1/users/me/sessions", { token: laptop.access_token, env }),
    );
    expect(list.result.status, list.result.dump).toBe(200);
    expect(list.sqlRequests).toBe(1);
    const revoke = await countRoundTrips((env) =>
      api("DELETE", `/api/v1/users/me/sessions/${sid(phone.access_token)}`, {
        token: laptop.access_token,
        env,
      }),
    );
    expect(revoke.result.status, revoke.result.dump).toBe(204);
    expect(revoke.sqlRequests).toBe(1);
    expect(list.wsConnections + revoke.wsConnections).toBe(0);
  });
});
