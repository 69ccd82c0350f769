import { describe, expect, it } from "vitest";
import { countRoundTrips, sql } from "../../helpers/db.ts";
import { createUser, unique } from "../../helpers/factories.ts";
import { api, envWith } from "../../helpers/harness.ts";
import { signedInWithRole } from "../../helpers/protected-routes.ts";
import { awayFromWindowEdge, randomIp } from "../../helpers/redis.ts";

const preRegister = (json: unknown, headers?: Record<string, string>, env?: ReturnType<typeof envWith>) =>
  api("POST", "/api/v1/pre-register", { json, headers, env });

const rowsFor = (email: string) =>
  sql`select email, source, converted_at from pre_registrations where lower(email) = lower(${email})`;

describe("POST /api/v1/pre-register", () => {
  it("202 with one fixed body whether the address is new, repeated (any case) or already an account", async () => {
    const email = `pre_${unique()}@example.com`;
    const first = await preRegister({ email, source: "landing-page" });
    expect(first.status, first.dump).toBe(202);
    const again = await preRegister({ email: email.toUpperCase(), source: "ads" });
    expect(again.status, again.dump).toBe(202);
    const account = await createUser();
    const existing = await preRegister({ email: account.email });
    expect(existing.status).toBe(202);
    expect(again.text).toBe(first.text);
    expect(existing.text).toBe(first.text);
    expect(first.body).toEqual({ status: "accepted", detail: expect.any(String) });

    // Idempotent: one row, the first source kept.
    expect(await rowsFor(email)).toEqual([{ email, source: "landing-page", converted_at: null }]);
    // An address that already has an account is recorded as converted.
    const [accountRow] = await rowsFor(account.email);
    expect(accountRow?.converted_at).not.toBeNull();
  });

  it.each([
    ["no e-mail", {}],
    ["a bad e-mail", { email: "not-an-email" }],
    ["an unknown field", { email: "a@example.com", role: "admin" }],
    ["an empty source", { email: "a@example.com", source: " " }],
    ["a long source", { email: "a@example.com", source: "s".repeat(101) }],
  ])("422 for %s", async (_label, json) => {
    const res = await preRegister(json);
    expect(res.status, res.dump).toBe(422);
    expect(res.body.code).toBe("validation_failed");
  });

  it("400 for malformed JSON", async () => {
    const res = await api("POST", "/api/v1/pre-register", {
      body: "{nope",
      headers: { "Content-Type": "application/json" },
    });
    expect(res.status, res.dump).toBe(400);
  });

  it("is rate limited per IP by the register rule (5 per minute)", async () => {
    await awayFromWindowEdge(60);
    const env = envWith({ RATE_LIMIT_ENABLED: "true" });
    const ip = randomIp();
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) {
      const res = await preRegister({ email: `rl_${unique()}@example.com` }, { "CF-Connecting-IP": ip }, env);
      statuses.push(res.status);
    }
    expect(statuses).toEqual([202, 202, 202, 202, 202, 429]);
  });

  it("registering with the address marks the pre-registration converted", async () => {
    const username = `conv_${unique()}`;
    const email = `${username}@example.com`;
    await preRegister({ email: email.toUpperCase() });
    expect((await rowsFor(email))[0]?.converted_at).toBeNull();
    await createUser({ username, email });
    expect((await rowsFor(email))[0]?.converted_at).not.toBeNull();
  });

  it("costs one round trip; registration stays at one too", async () => {
    const pre = await countRoundTrips((env) => preRegister({ email: `rt_${unique()}@example.com` }, {}, env));
    expect(pre.result.status).toBe(202);
    expect(pre.sqlRequests).toBe(1);
    const username = `rt_${unique()}`;
    const reg = await countRoundTrips((env) =>
      api("POST", "/api/v1/auth/register", {
        json: { username, email: `${username}@example.com`, password: "violet-harbor-lantern-42" },
        env,
      }),
    );
    expect(reg.result.status, reg.result.dump).toBe(201);
    expect(reg.sqlRequests).toBe(1);
  });
});

describe("GET /api/v1/pre-register (admins)", () => {
  it("pages newest first with total and filters by q, source and converted", async () => {
    const admin = await signedInWithRole("admin");
    const tag = `lst${unique()}`;
    const source = `src-${tag}`;
    const a = `${tag}_a@example.com`;
    const b = `${tag}_b@example.com`;
    const c = `${tag}_c@example.com`;
    for (const email of [a, b, c]) await preRegister({ email, source: email === c ? "other" : source });
    await sql`update pre_registrations set created_at = created_at + (case lower(email) when ${a} then interval '0 s' when ${b} then interval '1 s' else interval '2 s' end) where email ilike ${`${tag}%`}`;
    await createUser({ username: `${tag}_b`, email: b });
    const list = (query: string) =>
      api("GET", `/api/v1/pre-register?${query}`, { token: admin.tokens.access_token });

    const all = await list(`q=${tag.toUpperCase()}`);
    expect(all.status, all.dump).toBe(200);
    expect(all.body).toMatchObject({ total: 3, skip: 0, limit: 10 });
    expect(all.body.items.map((p: { email: string }) => p.email)).toEqual([c, b, a]);
    expect(Object.keys(all.body.items[0]).sort()).toEqual([
      "converted_at",
      "created_at",
      "email",
      "id",
      "source",
    ]);

    const page = await list(`q=${tag}&skip=1&limit=1`);
    expect(page.body.items.map((p: { email: string }) => p.email)).toEqual([b]);
    expect((await list(`source=${source}`)).body.items.map((p: { email: string }) => p.email)).toEqual([
      b,
      a,
    ]);
    expect((await list(`q=${tag}&converted=true`)).body.items.map((p: { email: string }) => p.email)).toEqual(
      [b],
    );
    expect((await list(`q=${tag}&converted=false`)).body.total).toBe(2);
  });

  it.each(["limit=0", "limit=101", "skip=-1", "converted=yes"])("422 for %s", async (query) => {
    const admin = await signedInWithRole("admin");
    const res = await api("GET", `/api/v1/pre-register?${query}`, { token: admin.tokens.access_token });
    expect(res.status, res.dump).toBe(422);
  });

  it("a moderator gets 403; the list costs one round trip", async () => {
    const moderator = await signedInWithRole("moderator");
    const refused = await api("GET", "/api/v1/pre-register", { token: moderator.tokens.access_token });
    expect(refused.status, refused.dump).toBe(403);
    const admin = await signedInWithRole("admin");
    const listed = await countRoundTrips((env) =>
      api("GET", "/api/v1/pre-register", { token: admin.tokens.access_token, env }),
    );
    expect(listed.result.status).toBe(200);
    expect(listed.sqlRequests).toBe(1);
  });
});
