import { z } from "@hono/zod-openapi";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { createApp } from "../../src/app.ts";
import { users } from "../../src/db/schema/index.ts";
import { protectedRoute } from "../../src/lib/protected-route.ts";
import { sql } from "../helpers/db.ts";
import { createSignedInUser, loginAs } from "../helpers/factories.ts";
import { testEnv } from "../helpers/harness.ts";

// A tiny app with admin-only routes built with the same factory as production routes: one checks the
// gate in the middleware, the other in its own statement.
const ok = {
  200: { description: "ok", content: { "application/json": { schema: z.object({ id: z.string() }) } } },
};
const inMiddleware = protectedRoute(
  { roles: ["admin"] },
  {
    method: "post",
    path: "/test/admin-only",
    responses: ok,
    request: { body: { content: { "application/json": { schema: z.object({ n: z.number() }) } } } },
  },
);
const inStatement = protectedRoute(
  { roles: ["admin"], session: "in-statement" },
  {
    method: "post",
    path: "/test/admin-only-in-statement",
    responses: ok,
    request: { body: { content: { "application/json": { schema: z.object({ n: z.number() }) } } } },
  },
);
const app = createApp();
app.openapi(inMiddleware, (c) => c.json({ id: c.get("caller").userId }, 200));
app.openapi(inStatement, async (c) => {
  const gate = c.get("gate");
  const [row] = await c.get("db").select({ id: users.id }).from(users).where(eq(users.id, gate.userId));
  if (!row) throw gate.denied();
  return c.json({ id: row.id }, 200);
});

const call = async (path: string, token: string | undefined, body: string = '{"n":1}') => {
  const res = await app.request(
    path,
    {
      method: "POST",
      body,
      headers: { "Content-Type": "application/json", ...(token ? { Authorization: `Bearer ${token}` } : {}) },
    },
    testEnv,
  );
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
};
const paths = ["/test/admin-only", "/test/admin-only-in-statement"];

describe.each(paths)("the session gate on %s", (path) => {
  it("answers 403 forbidden to an active user without the role", async () => {
    const user = await createSignedInUser();
    const res = await call(path, user.tokens.access_token);
    expect(res.status).toBe(403);
    expect(res.body.code).toBe("forbidden");
  });

  it("answers 401 (not 403) without credentials", async () => {
    expect((await call(path, undefined)).status).toBe(401);
  });

  it("reads the role from the database: a promotion works with the old token, a demotion is 403 at once", async () => {
    const user = await createSignedInUser();
    await sql`update users set role = 'admin' where id = ${user.id}`;
    const promoted = await call(path, user.tokens.access_token);
    expect(promoted.status, JSON.stringify(promoted.body)).toBe(200);
    expect(promoted.body).toEqual({ id: user.id });
    const adminToken = (await loginAs(user)).access_token;
    await sql`update users set role = 'user' where id = ${user.id}`;
    expect((await call(path, adminToken)).status).toBe(403);
  });

  it("401 before 403 before 400/422: a revoked or deactivated admin gets 401 whatever the body", async () => {
    const user = await createSignedInUser();
    await sql`update users set role = 'admin' where id = ${user.id}`;
    const token = (await loginAs(user)).access_token;
    expect((await call(path, token, "{not json")).status).toBe(400);
    expect((await call(path, token, '{"n":"x"}')).status).toBe(422);
    await sql`update users set is_active = false where id = ${user.id}`;
    for (const body of ['{"n":1}', "{not json", '{"n":"x"}']) {
      expect((await call(path, token, body)).status, body).toBe(401);
    }
    await sql`update users set is_active = true where id = ${user.id}`;
    expect((await call(path, token)).status).toBe(200);
    await sql`update sessions set revoked_at = now() where user_id = ${user.id}`;
    for (const body of ['{"n":1}', "{not json", '{"n":"x"}']) {
      expect((await call(path, token, body)).status, body).toBe(401);
    }
  });

  it("a plain user's malformed body is 403 (role), not 400", async () => {
    const user = await createSignedInUser();
    expect((await call(path, user.tokens.access_token, "{not json")).status).toBe(403);
  });
});

describe("protectedRoute's OpenAPI declaration", () => {
  it("declares the roles, the description and the 401/403 responses", () => {
    const doc = app.getOpenAPI31Document({ openapi: "3.1.0", info: { title: "t", version: "1" } });
    const op = doc.paths?.["/test/admin-only"]?.post as Record<string, unknown> & {
      responses: Record<string, unknown>;
    };
    expect(op["x-required-roles"]).toEqual(["admin"]);
    expect(op.description).toContain("`admin`");
    expect(Object.keys(op.responses)).toEqual(expect.arrayContaining(["200", "401", "403"]));
    expect(op.security).toEqual([{ bearerAuth: [] }, { oauth2Password: [] }]);
  });

  it("states that any role may call a route without a role restriction", () => {
    const open = protectedRoute({}, { method: "get", path: "/x", responses: ok });
    expect((open as Record<string, unknown>)["x-required-roles"]).toEqual(["user", "moderator", "admin"]);
    expect(Object.keys(open.responses)).not.toContain("403");
  });

  it("refuses an empty role list when built", () => {
    expect(() => protectedRoute({ roles: [] }, { method: "get", path: "/x", responses: ok })).toThrow(
      /roles/,
    );
  });
});
