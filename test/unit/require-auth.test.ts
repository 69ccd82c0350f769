import { z } from "@hono/zod-openapi";
import { describe, expect, it } from "vitest";
import { createApp } from "../../src/app.ts";
import { protectedRoute } from "../../src/lib/protected-route.ts";
import { sql } from "../helpers/db.ts";
import { createSignedInUser, loginAs } from "../helpers/factories.ts";
import { testEnv } from "../helpers/harness.ts";

// A tiny app with one admin-only route, built with the same factory as production routes.
const adminOnly = protectedRoute(
  { sessionCheck: "middleware", roles: ["admin"] },
  {
    method: "get",
    path: "/test/admin-only",
    responses: {
      200: { description: "ok", content: { "application/json": { schema: z.object({ ok: z.boolean() }) } } },
    },
  },
);
const app = createApp();
app.openapi(adminOnly, (c) => c.json({ ok: true }, 200));

const call = async (headers: Record<string, string>) => {
  const res = await app.request("/test/admin-only", { headers }, testEnv);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
};

describe("requireAuth with roles", () => {
  it("answers 403 forbidden to an authenticated user without the role", async () => {
    const user = await createSignedInUser();
    const res = await call({ Authorization: `Bearer ${user.tokens.access_token}` });
    expect(res.status).toBe(403);
    expect(res.body.code).toBe("forbidden");
  });

  it("answers 401 (not 403) without credentials", async () => {
    expect((await call({})).status).toBe(401);
  });

  it("declares the roles and the 401/403 responses in the OpenAPI operation", () => {
    const doc = app.getOpenAPI31Document({ openapi: "3.1.0", info: { title: "t", version: "1" } });
    const op = doc.paths?.["/test/admin-only"]?.get as Record<string, unknown> & {
      responses: Record<string, unknown>;
    };
    expect(op["x-required-roles"]).toEqual(["admin"]);
    expect(Object.keys(op.responses)).toEqual(expect.arrayContaining(["200", "401", "403"]));
    expect(op.security).toEqual([{ bearerAuth: [] }, { oauth2Password: [] }]);
  });

  it("lets the role through", async () => {
    const user = await createSignedInUser();
    await sql`update users set role = 'admin' where id = ${user.id}`;
    const pair = await loginAs(user);
    const res = await call({ Authorization: `Bearer ${pair.access_token}` });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ ok: true });
  });
});
