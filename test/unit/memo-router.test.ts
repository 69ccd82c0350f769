import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import { MAX_ENTRIES, MemoRouter } from "../../src/lib/memo-router.ts";

/** The shape of this API's routes that RegExpRouter refuses: a literal beside a parameter. */
function app(router = new MemoRouter<never>()) {
  const a = new Hono({ router: router as never });
  a.use(async (c, next) => {
    await next();
    c.header("X-Seen", "1");
  });
  a.get("/users/me", (c) => c.text("me"));
  a.get("/users/:id", (c) => c.text(`user ${c.req.param("id")}`));
  a.post("/users", (c) => c.text("created", 201));
  return { a, router };
}

describe("MemoRouter", () => {
  it("answers like Hono's own router, repeated requests included", async () => {
    const { a } = app();
    const reference = new Hono();
    reference.get("/users/me", (c) => c.text("me"));
    reference.get("/users/:id", (c) => c.text(`user ${c.req.param("id")}`));
    reference.post("/users", (c) => c.text("created", 201));
    for (const [method, path] of [
      ["GET", "/users/me"],
      ["GET", "/users/42"],
      ["GET", "/users/7"],
      ["GET", "/users/42"],
      ["GET", "/users/me"],
      ["POST", "/users"],
      ["DELETE", "/users/me"],
      ["GET", "/nowhere"],
    ] as const) {
      const ours = await a.request(path, { method });
      const theirs = await reference.request(path, { method });
      expect([method, path, ours.status, await ours.text()]).toEqual([
        method,
        path,
        theirs.status,
        await theirs.text(),
      ]);
      expect(ours.headers.get("X-Seen")).toBe("1");
    }
  });

  it("keeps each path's parameters apart", async () => {
    const { a } = app();
    await a.request("/users/1");
    expect(await (await a.request("/users/2")).text()).toBe("user 2");
    expect(await (await a.request("/users/1")).text()).toBe("user 1");
  });

  it("remembers at most MAX_ENTRIES answers, then starts over", async () => {
    const { a, router } = app();
    for (let i = 0; i < MAX_ENTRIES + 10; i++) await a.request(`/users/${i}`);
    expect(router.size).toBeLessThanOrEqual(MAX_ENTRIES);
    expect(router.size).toBeGreaterThan(0);
    expect(await (await a.request("/users/me")).text()).toBe("me");
  });
});
