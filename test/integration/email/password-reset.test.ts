import { describe, expect, it } from "vitest";
import { countRoundTrips, sql } from "../../helpers/db.ts";
import { createSignedInUser, createUser, loginAs, unique } from "../../helpers/factories.ts";
import { api, envWith } from "../../helpers/harness.ts";
import { deliverPendingMail, latestMail, mailbox, tokenFrom } from "../../helpers/mail.ts";
import { jobsQueue } from "../../helpers/queue.ts";

const NEW_PASSWORD = "amber-glacier-compass-77";

async function resetToken(email: string): Promise<string> {
  const res = await api("POST", "/api/v1/auth/password-reset/request", { json: { email } });
  expect(res.status, res.dump).toBe(202);
  const mail = await latestMail(email);
  expect(mail.subject).toBe("Reset your password");
  return tokenFrom(mail.links[0] as string);
}

describe("password reset", () => {
  it("request → mail → confirm: every old session and the old password refused, the new one works", async () => {
    const user = await createSignedInUser();
    const other = await loginAs(user);
    // The address is matched case-insensitively.
    const token = await resetToken(user.email.toUpperCase());

    const res = await api("POST", "/api/v1/auth/password-reset/confirm", {
      json: { token, new_password: NEW_PASSWORD },
    });
    expect(res.status, res.dump).toBe(200);
    expect(res.body).toEqual({ detail: "Password changed; every session has ended." });

    for (const pair of [user.tokens, other]) {
      expect((await api("GET", "/api/v1/users/me", { token: pair.access_token })).status).toBe(401);
      const refreshed = await api("POST", "/api/v1/auth/refresh", {
        json: { refresh_token: pair.refresh_token },
      });
      expect(refreshed.status).toBe(401);
    }
    const oldLogin = await api("POST", "/api/v1/auth/login", {
      json: { username: user.username, password: user.password },
    });
    expect(oldLogin.status).toBe(401);
    await loginAs({ username: user.username, password: NEW_PASSWORD });
    const [event] =
      await sql`select metadata from security_events where user_id = ${user.id} and type = 'password_reset'`;
    expect(event?.metadata).toEqual({ sessions_ended: 2 });

    const reused = await api("POST", "/api/v1/auth/password-reset/confirm", {
      json: { token, new_password: "another-fine-passphrase-9" },
    });
    expect(reused.status, reused.dump).toBe(400);
    expect(reused.body.code).toBe("invalid_token");
  });

  it("a confirmed reset retires the user's other outstanding reset links", async () => {
    const user = await createUser();
    const first = await resetToken(user.email);
    const second = await resetToken(user.email);
    expect(
      (
        await api("POST", "/api/v1/auth/password-reset/confirm", {
          json: { token: second, new_password: NEW_PASSWORD },
        })
      ).status,
    ).toBe(200);
    const late = await api("POST", "/api/v1/auth/password-reset/confirm", {
      json: { token: first, new_password: "another-fine-passphrase-9" },
    });
    expect(late.body.code, late.dump).toBe("invalid_token");
  });

  it.each([
    ["an unknown token", async () => "y".repeat(43)],
    [
      "an expired token",
      async () => {
        const user = await createUser();
        const token = await resetToken(user.email);
        await sql`update one_time_tokens set expires_at = now() - interval '1 second'
                  where user_id = ${user.id} and purpose = 'reset_password'`;
        return token;
      },
    ],
    [
      "a verification token",
      async () => {
        const user = await createUser();
        return tokenFrom((await latestMail(user.email)).links[0] as string);
      },
    ],
  ])("refuses %s with 400 invalid_token and changes nothing", async (_label, tokenOf) => {
    const token = await tokenOf();
    const res = await api("POST", "/api/v1/auth/password-reset/confirm", {
      json: { token, new_password: NEW_PASSWORD },
    });
    expect(res.status, res.dump).toBe(400);
    expect(res.body.code).toBe("invalid_token");
  });

  it("the token lives 1 hour, the verification token 24 hours", async () => {
    const user = await createUser();
    await resetToken(user.email);
    const rows = await sql`select purpose, round(extract(epoch from expires_at - created_at))::int as ttl
                           from one_time_tokens where user_id = ${user.id} order by purpose`;
    expect(rows).toEqual([
      { purpose: "verify_email", ttl: 24 * 3600 },
      { purpose: "reset_password", ttl: 3600 },
    ]);
  });

  it.each([
    ["a common password", "password123"],
    ["a short password", "short"],
  ])("refuses %s with 422 and keeps the token usable", async (_label, weak) => {
    const user = await createUser();
    const token = await resetToken(user.email);
    const res = await api("POST", "/api/v1/auth/password-reset/confirm", {
      json: { token, new_password: weak },
    });
    expect(res.status, res.dump).toBe(422);
    expect(res.body.errors).toEqual([expect.objectContaining({ path: "new_password" })]);
    const ok = await api("POST", "/api/v1/auth/password-reset/confirm", {
      json: { token, new_password: NEW_PASSWORD },
    });
    expect(ok.status, ok.dump).toBe(200);
  });

  it("answers an unknown and a known address identically (status, body, headers, round trips) and mails only the known one", async () => {
    const known = await createUser();
    await deliverPendingMail();
    const unknown = `nobody_${unique()}@example.com`;
    const request = (email: string) =>
      countRoundTrips((env) => api("POST", "/api/v1/auth/password-reset/request", { json: { email }, env }));
    const a = await request(known.email);
    const queuedForKnown = jobsQueue.bodies.length;
    const b = await request(unknown);
    expect(jobsQueue.bodies.length).toBe(queuedForKnown);
    expect([a.result.status, b.result.status]).toEqual([202, 202]);
    expect(a.result.body).toEqual(b.result.body);
    const headerNames = (h: Headers) => [...h.keys()].filter((k) => k !== "x-request-id").sort();
    expect(headerNames(a.result.headers)).toEqual(headerNames(b.result.headers));
    expect(a.sqlRequests).toBe(1);
    expect(b.sqlRequests).toBe(1);
    await deliverPendingMail();
    expect(await mailbox(known.email)).toHaveLength(2);
    expect(await mailbox(unknown)).toEqual([]);
    expect(await sql`select 1 from email_outbox where "to" = ${unknown}`).toEqual([]);
  });

  it("confirm costs two round trips", async () => {
    const user = await createUser();
    const token = await resetToken(user.email);
    const { result, sqlRequests } = await countRoundTrips((env) =>
      api("POST", "/api/v1/auth/password-reset/confirm", {
        json: { token, new_password: NEW_PASSWORD },
        env,
      }),
    );
    expect(result.status, result.dump).toBe(200);
    expect(sqlRequests).toBe(2);
  });

  it("requests are rate limited per address (emailByAddress) and per IP (emailByIp)", async () => {
    const env = envWith({ RATE_LIMIT_ENABLED: "true", RATE_LIMIT_EMAIL_PER_HOUR: "2" });
    const email = `limited_${unique()}@example.com`;
    const call = (ip: string, address = email) =>
      api("POST", "/api/v1/auth/password-reset/request", {
        json: { email: address },
        env,
        headers: { "CF-Connecting-IP": ip },
      });
    expect((await call("203.0.113.1")).status).toBe(202);
    expect((await call("203.0.113.2")).status).toBe(202);
    const byAddress = await call("203.0.113.3");
    expect(byAddress.status, byAddress.dump).toBe(429);

    const ip = `203.0.113.${10 + Math.floor(Math.random() * 200)}`;
    expect((await call(ip, `a_${unique()}@example.com`)).status).toBe(202);
    expect((await call(ip, `b_${unique()}@example.com`)).status).toBe(202);
    const byIp = await call(ip, `c_${unique()}@example.com`);
    expect(byIp.status, byIp.dump).toBe(429);
  });
});
