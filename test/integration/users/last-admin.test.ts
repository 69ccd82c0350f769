/**
 * The last active admin is protected, in the statement itself. Each test works in a private schema
 * (test/helpers/isolated-schema.ts), where it alone decides how many admins exist.
 */
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { sql as dsql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { withTransaction } from "../../../src/db/client.ts";
import { loadConfig } from "../../../src/env.ts";
import { api, type TestEnv } from "../../helpers/harness.ts";
import { isolatedSchema } from "../../helpers/isolated-schema.ts";

/**
 * Runs `requests` while another transaction holds the rows `ids` locked, then lets go: every
 * request's statement has taken its snapshot and is waiting at the same point, so a check that
 * reads a stale snapshot is caught every time, not once in a thousand runs.
 */
async function whileRowsLocked<T>(env: TestEnv, ids: string[], requests: () => Promise<T>): Promise<T> {
  const ctx = createExecutionContext();
  let pending: Promise<T> | undefined;
  await withTransaction(loadConfig(env), ctx, async (tx) => {
    await tx.execute(
      dsql`select id from users where id in (${dsql.join(
        ids.map((id) => dsql`${id}`),
        dsql`, `,
      )}) for update`,
    );
    pending = requests();
    await new Promise((r) => setTimeout(r, 800));
  });
  await waitOnExecutionContext(ctx);
  return pending as Promise<T>;
}

describe("the last active admin", () => {
  it.each([
    ["demoted", "PATCH", { role: "moderator" }],
    ["deactivated", "PATCH", { is_active: false }],
    ["deleted", "DELETE", undefined],
  ] as const)("cannot be %s (409 last_admin), not even by itself", async (_label, method, json) => {
    const iso = await isolatedSchema();
    const admin = await iso.signedIn("admin");
    const res = await api(method, `/api/v1/users/${admin.id}`, {
      token: admin.tokens.access_token,
      json,
      env: iso.env,
    });
    expect(res.status, res.dump).toBe(409);
    expect(res.body.code).toBe("last_admin");
    const [row] = await iso.sql`select role, is_active from users where id = ${admin.id}`;
    expect(row).toEqual({ role: "admin", is_active: true });
    expect(await iso.sql`select * from audit_events`).toEqual([]);
  });

  it("can be demoted once another active admin exists; an inactive admin does not count", async () => {
    const iso = await isolatedSchema();
    const a = await iso.signedIn("admin");
    const inactive = await iso.signedIn("admin");
    await iso.sql`update users set is_active = false where id = ${inactive.id}`;
    const demote = (id: string) =>
      api("PATCH", `/api/v1/users/${id}`, {
        token: a.tokens.access_token,
        json: { role: "user" },
        env: iso.env,
      });
    expect((await demote(a.id)).status).toBe(409);
    const b = await iso.signedIn("admin");
    const res = await demote(b.id);
    expect(res.status, res.dump).toBe(200);
    expect(res.body.role).toBe("user");
  });

  it("two concurrent demotions of the last two admins leave exactly one admin", async () => {
    for (let round = 0; round < 3; round++) {
      const iso = await isolatedSchema();
      const a = await iso.signedIn("admin");
      const b = await iso.signedIn("admin");
      // Each demotes the other at the same moment: without the lock both would see "one remains".
      const results = await whileRowsLocked(iso.env, [a.id, b.id], () =>
        Promise.all([
          api("PATCH", `/api/v1/users/${b.id}`, {
            token: a.tokens.access_token,
            json: { role: "user" },
            env: iso.env,
          }),
          api("PATCH", `/api/v1/users/${a.id}`, {
            token: b.tokens.access_token,
            json: { role: "user" },
            env: iso.env,
          }),
        ]),
      );
      const statuses = results.map((r) => r.status).sort();
      // The loser is either refused as the last admin (409) or, demoted first, no longer passes the
      // gate for an admin-only change (403): in no order may both succeed.
      expect(statuses[0], results.map((r) => r.dump).join("\n")).toBe(200);
      expect([403, 409]).toContain(statuses[1]);
      const admins = await iso.sql`select id from users where role = 'admin' and is_active`;
      expect(admins).toHaveLength(1);
    }
  });

  it("a deactivation and a deletion racing for the last two admins leave one active admin", async () => {
    const iso = await isolatedSchema();
    const a = await iso.signedIn("admin");
    const b = await iso.signedIn("admin");
    const results = await whileRowsLocked(iso.env, [a.id, b.id], () =>
      Promise.all([
        api("PATCH", `/api/v1/users/${b.id}`, {
          token: a.tokens.access_token,
          json: { is_active: false },
          env: iso.env,
        }),
        api("DELETE", `/api/v1/users/${a.id}`, { token: b.tokens.access_token, env: iso.env }),
      ]),
    );
    const dump = results.map((r) => r.dump).join("\n");
    // Exactly one wins; the loser is refused as the last admin (409), or its caller is gone (401).
    expect(
      results.filter((r) => r.status === 200 || r.status === 204),
      dump,
    ).toHaveLength(1);
    expect(
      results.filter((r) => r.status === 401 || r.status === 409),
      dump,
    ).toHaveLength(1);
    expect(await iso.sql`select id from users where role = 'admin' and is_active`).toHaveLength(1);
  });
});
