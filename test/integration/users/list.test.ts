import { describe, expect, it } from "vitest";
import { countRoundTrips, sql } from "../../helpers/db.ts";
import { createUser, unique } from "../../helpers/factories.ts";
import { api } from "../../helpers/harness.ts";
import { signedInWithRole } from "../../helpers/protected-routes.ts";

describe("GET /api/v1/users (moderators and admins)", () => {
  it("pages newest first with total, and filters by q, role and is_active", async () => {
    const admin = await signedInWithRole("admin");
    const tag = `lst${unique()}`;
    const a = await createUser({ username: `${tag}_a`, full_name: "Ada Lovelace" });
    const b = await createUser({ username: `${tag}_b` });
    const c = await createUser({ username: `${tag}_c` });
    await sql`update users set role = 'moderator' where id = ${b.id}`;
    await sql`update users set is_active = false where id = ${c.id}`;
    const list = (query: string) =>
      api("GET", `/api/v1/users?${query}`, { token: admin.tokens.access_token });

    const all = await list(`q=${tag.toUpperCase()}`);
    expect(all.status, all.dump).toBe(200);
    expect(all.body).toMatchObject({ total: 3, skip: 0, limit: 10 });
    expect(all.body.items.map((u: { id: string }) => u.id)).toEqual([c.id, b.id, a.id]);
    expect(all.body.items[0]).not.toHaveProperty("password_hash");

    const page = await list(`q=${tag}&skip=1&limit=1`);
    expect(page.body).toMatchObject({ total: 3, skip: 1, limit: 1 });
    expect(page.body.items.map((u: { id: string }) => u.id)).toEqual([b.id]);
    const beyond = await list(`q=${tag}&skip=10`);
    expect(beyond.body).toMatchObject({ items: [], total: 3, skip: 10 });

    expect((await list(`q=${tag}&role=moderator`)).body.items.map((u: { id: string }) => u.id)).toEqual([
      b.id,
    ]);
    expect((await list(`q=${tag}&is_active=false`)).body.items.map((u: { id: string }) => u.id)).toEqual([
      c.id,
    ]);
    expect((await list("q=ada%20LOVELACE")).body.items.map((u: { id: string }) => u.id)).toContain(a.id);
    // LIKE wildcards in q match literally.
    expect((await list(`q=${tag.slice(0, 3)}%25_x`)).body.total).toBe(0);
  });

  it.each(["limit=0", "limit=101", "skip=-1", "limit=abc", "skip=1.5", "role=root", "is_active=yes"])(
    "422 for %s, never clamped",
    async (query) => {
      const admin = await signedInWithRole("admin");
      const res = await api("GET", `/api/v1/users?${query}`, { token: admin.tokens.access_token });
      expect(res.status, res.dump).toBe(422);
      expect(res.body.code).toBe("validation_failed");
    },
  );

  it("a moderator may list; a plain user gets 403", async () => {
    const moderator = await signedInWithRole("moderator");
    expect((await api("GET", "/api/v1/users", { token: moderator.tokens.access_token })).status).toBe(200);
    const user = await signedInWithRole("user");
    const res = await api("GET", "/api/v1/users", { token: user.tokens.access_token });
    expect(res.status, res.dump).toBe(403);
  });

  it("costs one database round trip, gate included", async () => {
    const admin = await signedInWithRole("admin");
    const { result, sqlRequests } = await countRoundTrips((env) =>
      api("GET", "/api/v1/users?limit=50", { token: admin.tokens.access_token, env }),
    );
    expect(result.status, result.dump).toBe(200);
    expect(sqlRequests).toBe(1);
  });
});
