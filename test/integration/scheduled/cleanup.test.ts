import { createScheduledController } from "cloudflare:test";
import { decodeJwt } from "jose";
import { describe, expect, it } from "vitest";
import worker from "../../../src/index.ts";
import { sql } from "../../helpers/db.ts";
import { createSignedInUser, createUser, loginAs } from "../../helpers/factories.ts";
import { envWith, testEnv } from "../../helpers/harness.ts";

describe("cron: purge ended sessions", () => {
  it("deletes sessions that expired or were revoked over 30 days ago, and keeps the rest", async () => {
    const user = await createUser();
    const live = await loginAs(user);
    const [oldExpired, oldRevoked, recentRevoked] = [
      await loginAs(user),
      await loginAs(user),
      await loginAs(user),
    ];
    const sid = (t: { access_token: string }) => decodeJwt(t.access_token).sid as string;
    await sql`update sessions set expires_at = now() - interval '31 days' where id = ${sid(oldExpired)}`;
    await sql`update sessions set revoked_at = now() - interval '31 days' where id = ${sid(oldRevoked)}`;
    await sql`update sessions set revoked_at = now() - interval '1 day' where id = ${sid(recentRevoked)}`;

    await worker.scheduled(
      createScheduledController({ cron: "*/5 * * * *" }),
      testEnv,
      {} as ExecutionContext,
    );

    const left = (await sql`select id from sessions where user_id = ${user.id} order by id`).map((r) => r.id);
    expect(left.sort()).toEqual([sid(live), sid(recentRevoked)].sort());
    const other = await createSignedInUser();
    expect(await sql`select id from sessions where user_id = ${other.id}`).toHaveLength(1);
  });
});

describe("cron: security-event retention", () => {
  it("deletes security events older than SECURITY_EVENT_RETENTION_DAYS and keeps newer ones", async () => {
    const user = await createSignedInUser();
    await sql`insert into security_events (user_id, type, created_at) values
      (${user.id}, 'logout', now() - interval '11 days'), (${user.id}, 'logout', now() - interval '9 days')`;
    await worker.scheduled(
      createScheduledController({ cron: "*/5 * * * *" }),
      envWith({ SECURITY_EVENT_RETENTION_DAYS: "10" }),
      {} as ExecutionContext,
    );
    const left =
      await sql`select type, created_at > now() - interval '10 days' as recent from security_events where user_id = ${user.id} order by created_at`;
    expect(left).toEqual([
      { type: "logout", recent: true },
      { type: "login_succeeded", recent: true },
    ]);
  });
});
