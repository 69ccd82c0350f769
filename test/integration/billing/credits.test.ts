import { describe, expect, it } from "vitest";
import { countRoundTrips, sql } from "../../helpers/db.ts";
import { createSignedInUser } from "../../helpers/factories.ts";
import { api } from "../../helpers/harness.ts";
import { signedInWithRole } from "../../helpers/protected-routes.ts";
import { expectLedgerMatchesBalance, giveCredits } from "./helpers.ts";

describe("GET /api/v1/users/me/credits", () => {
  it("answers the balance and the ledger, newest first, paginated", async () => {
    const user = await createSignedInUser();
    for (const n of [1, 2, 3]) await giveCredits(user.id, n);
    const res = await api("GET", "/api/v1/users/me/credits?limit=2", { token: user.tokens.access_token });
    expect(res.status, res.dump).toBe(200);
    expect(res.body.balance).toBe(6);
    expect(res.body.ledger).toMatchObject({ total: 3, skip: 0, limit: 2 });
    expect(res.body.ledger.items.map((e: { delta: number }) => e.delta)).toEqual([3, 2]);
    expect(res.body.ledger.items[0]).toMatchObject({ balance_after: 6, reason: "admin_grant" });
    const page2 = await api("GET", "/api/v1/users/me/credits?skip=2&limit=2", {
      token: user.tokens.access_token,
    });
    expect(page2.body.ledger.items.map((e: { delta: number }) => e.delta)).toEqual([1]);
    await expectLedgerMatchesBalance(user.id);
  });

  it("answers an empty ledger for a new user, and 422 for limit 0", async () => {
    const user = await createSignedInUser();
    const res = await api("GET", "/api/v1/users/me/credits", { token: user.tokens.access_token });
    expect(res.body).toEqual({ balance: 0, ledger: { items: [], total: 0, skip: 0, limit: 10 } });
    const bad = await api("GET", "/api/v1/users/me/credits?limit=0", { token: user.tokens.access_token });
    expect(bad.status, bad.dump).toBe(422);
  });

  it("costs one database round trip", async () => {
    const user = await createSignedInUser();
    const { result, sqlRequests } = await countRoundTrips((env) =>
      api("GET", "/api/v1/users/me/credits", { token: user.tokens.access_token, env }),
    );
    expect(result.status, result.dump).toBe(200);
    expect(sqlRequests).toBe(1);
  });
});

describe("POST /api/v1/users/{id}/credits (admin)", () => {
  it("grants and deducts, recording the admin and the reason in the ledger", async () => {
    const admin = await signedInWithRole("admin");
    const user = await createSignedInUser();
    const grant = await api("POST", `/api/v1/users/${user.id}/credits`, {
      token: admin.tokens.access_token,
      json: { delta: 10, reason: "welcome" },
    });
    expect(grant.status, grant.dump).toBe(201);
    expect(grant.body).toMatchObject({
      balance: 10,
      entry: { delta: 10, balance_after: 10, reason: "admin_grant" },
    });
    const deduct = await api("POST", `/api/v1/users/${user.id}/credits`, {
      token: admin.tokens.access_token,
      json: { delta: -4, reason: "abuse" },
    });
    expect(deduct.status, deduct.dump).toBe(201);
    expect(deduct.body).toMatchObject({ balance: 6, entry: { delta: -4, reason: "admin_deduct" } });
    const rows =
      await sql`select actor_id, note, reason from credit_ledger where user_id = ${user.id} order by id`;
    expect(rows).toEqual([
      { actor_id: admin.id, note: "welcome", reason: "admin_grant" },
      { actor_id: admin.id, note: "abuse", reason: "admin_deduct" },
    ]);
    await expectLedgerMatchesBalance(user.id);
    // And the audit log has both, written by the same statements, readable through the API.
    const audit = await api("GET", `/api/v1/audit-events?target_id=${user.id}&action=user.credits`, {
      token: admin.tokens.access_token,
    });
    expect(audit.status, audit.dump).toBe(200);
    expect(
      audit.body.items.map((e: { actor_id: string; changes: unknown }) => [e.actor_id, e.changes]),
    ).toEqual([
      [admin.id, { credits: { before: 10, after: 6 }, reason: { before: null, after: "abuse" } }],
      [admin.id, { credits: { before: 0, after: 10 }, reason: { before: null, after: "welcome" } }],
    ]);
  });

  it("a deduction below zero is 409 insufficient_credits and changes nothing", async () => {
    const admin = await signedInWithRole("admin");
    const user = await createSignedInUser();
    await giveCredits(user.id, 3);
    const res = await api("POST", `/api/v1/users/${user.id}/credits`, {
      token: admin.tokens.access_token,
      json: { delta: -4, reason: "too much" },
    });
    expect(res.status, res.dump).toBe(409);
    expect(res.body.code).toBe("insufficient_credits");
    expect((await sql`select credits from users where id = ${user.id}`)[0]?.credits).toBe(3);
    await expectLedgerMatchesBalance(user.id);
  });

  it.each([
    ["an unknown id", () => crypto.randomUUID()],
    ["a malformed id", () => "not-a-uuid"],
  ])("answers 404 for %s", async (_label, id) => {
    const admin = await signedInWithRole("admin");
    const res = await api("POST", `/api/v1/users/${id()}/credits`, {
      token: admin.tokens.access_token,
      json: { delta: 1, reason: "x" },
    });
    expect(res.status, res.dump).toBe(404);
    expect(res.body.code).toBe("not_found");
  });

  it.each([{ delta: 0, reason: "x" }, { delta: 1.5, reason: "x" }, { delta: 1, reason: "" }, { delta: 1 }])(
    "answers 422 for %j",
    async (body) => {
      const admin = await signedInWithRole("admin");
      const user = await createSignedInUser();
      const res = await api("POST", `/api/v1/users/${user.id}/credits`, {
        token: admin.tokens.access_token,
        json: body,
      });
      expect(res.status, res.dump).toBe(422);
    },
  );

  it.each(["user", "moderator"] as const)("refuses a %s with 403 and changes nothing", async (role) => {
    const caller = await signedInWithRole(role);
    const user = await createSignedInUser();
    const res = await api("POST", `/api/v1/users/${user.id}/credits`, {
      token: caller.tokens.access_token,
      json: { delta: 5, reason: "self-service" },
    });
    expect(res.status, res.dump).toBe(403);
    expect((await sql`select count(*)::int as n from credit_ledger where user_id = ${user.id}`)[0]?.n).toBe(
      0,
    );
  });

  it("costs one database round trip", async () => {
    const admin = await signedInWithRole("admin");
    const user = await createSignedInUser();
    const { result, sqlRequests } = await countRoundTrips((env) =>
      api("POST", `/api/v1/users/${user.id}/credits`, {
        token: admin.tokens.access_token,
        json: { delta: 1, reason: "rt" },
        env,
      }),
    );
    expect(result.status, result.dump).toBe(201);
    expect(sqlRequests).toBe(1);
  });
});
