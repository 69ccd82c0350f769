import { describe, expect, it } from "vitest";
import { sql } from "../../helpers/db.ts";
import { createSignedInUser, createUser, loginAs } from "../../helpers/factories.ts";
import { api, envWith } from "../../helpers/harness.ts";
import { deliverPendingMail, latestMail, mailbox, tokenFrom } from "../../helpers/mail.ts";

const pathOf = (link: string) => new URL(link).pathname;

describe("e-mail verification", () => {
  it("register → mail in the dev mailbox → follow the link → /users/me shows email_verified", async () => {
    const user = await createUser();
    const mail = await latestMail(user.email);
    expect(mail).toMatchObject({ to: user.email, subject: "Confirm your e-mail address" });
    expect(mail.links).toHaveLength(1);
    const link = mail.links[0] as string;
    expect(link).toMatch(/^http:\/\/localhost\/api\/v1\/auth\/verify\/[A-Za-z0-9_-]{43}$/);

    const verified = await api("GET", pathOf(link));
    expect(verified.status, verified.dump).toBe(200);
    expect(verified.body).toEqual({ detail: "The e-mail address is verified." });

    const me = await api("GET", "/api/v1/users/me", { token: (await loginAs(user)).access_token });
    expect(me.body.email_verified, me.dump).toBe(true);
    const events =
      await sql`select type, metadata from security_events where user_id = ${user.id} and type = 'email_verified'`;
    expect(events).toEqual([{ type: "email_verified", metadata: { email: user.email } }]);
    // Only the hash is stored.
    const tokens = await sql`select token_hash from one_time_tokens where user_id = ${user.id}`;
    expect(tokens.map((t) => t.token_hash)).not.toContain(tokenFrom(link));
  });

  it("POST /verify-email {token} verifies too; the token then is used up", async () => {
    const user = await createUser();
    const token = tokenFrom((await latestMail(user.email)).links[0] as string);
    const res = await api("POST", "/api/v1/auth/verify-email", { json: { token } });
    expect(res.status, res.dump).toBe(200);
    const again = await api("POST", "/api/v1/auth/verify-email", { json: { token } });
    expect(again.status, again.dump).toBe(400);
    expect(again.body.code).toBe("invalid_token");
  });

  it.each([
    ["an unknown token", async () => "x".repeat(43)],
    [
      "a used token",
      async () => {
        const user = await createUser();
        const token = tokenFrom((await latestMail(user.email)).links[0] as string);
        expect((await api("GET", `/api/v1/auth/verify/${token}`)).status).toBe(200);
        return token;
      },
    ],
    [
      "an expired token",
      async () => {
        const user = await createUser();
        const token = tokenFrom((await latestMail(user.email)).links[0] as string);
        await sql`update one_time_tokens set expires_at = now() - interval '1 second' where user_id = ${user.id}`;
        return token;
      },
    ],
    [
      "a password-reset token",
      async () => {
        const user = await createUser();
        await api("POST", "/api/v1/auth/password-reset/request", { json: { email: user.email } });
        return tokenFrom((await latestMail(user.email)).links[0] as string);
      },
    ],
    [
      "a token sent to an address the account no longer has",
      async () => {
        const user = await createSignedInUser();
        const token = tokenFrom((await latestMail(user.email)).links[0] as string);
        const changed = await api("PATCH", "/api/v1/users/me", {
          token: user.tokens.access_token,
          json: { email: `moved_${user.email}`, current_password: user.password },
        });
        expect(changed.status, changed.dump).toBe(200);
        return token;
      },
    ],
  ])("refuses %s with 400 invalid_token (GET link and POST body alike)", async (_label, tokenOf) => {
    const token = await tokenOf();
    for (const res of [
      await api("GET", `/api/v1/auth/verify/${token}`),
      await api("POST", "/api/v1/auth/verify-email", { json: { token } }),
    ]) {
      expect(res.status, res.dump).toBe(400);
      expect(res.body.code).toBe("invalid_token");
    }
  });

  it("answers 422 when the token is missing", async () => {
    const res = await api("POST", "/api/v1/auth/verify-email", { json: {} });
    expect(res.status, res.dump).toBe(422);
    expect(res.body.errors).toEqual([expect.objectContaining({ path: "token" })]);
  });

  it("an e-mail change sends a verification mail to the new address, which verifies it", async () => {
    const user = await createSignedInUser();
    await deliverPendingMail();
    const newEmail = `new_${user.email}`;
    const res = await api("PATCH", "/api/v1/users/me", {
      token: user.tokens.access_token,
      json: { email: newEmail, current_password: user.password },
    });
    expect(res.status, res.dump).toBe(200);
    expect(res.body.email_verified).toBe(false);
    const mail = await latestMail(newEmail);
    expect((await api("GET", pathOf(mail.links[0] as string))).status).toBe(200);
    const me = await api("GET", "/api/v1/users/me", { token: user.tokens.access_token });
    expect(me.body).toMatchObject({ email: newEmail, email_verified: true });
    // A profile change that keeps the address sends nothing.
    await api("PATCH", "/api/v1/users/me", { token: user.tokens.access_token, json: { full_name: "Ada" } });
    await deliverPendingMail();
    expect(await mailbox(newEmail)).toHaveLength(1);
  });

  it("resend answers 202 and sends a new link; when already verified it answers 202 and sends nothing", async () => {
    const user = await createSignedInUser();
    await deliverPendingMail();
    const res = await api("POST", "/api/v1/auth/verify-email/resend", { token: user.tokens.access_token });
    expect(res.status, res.dump).toBe(202);
    await deliverPendingMail();
    const [second, first] = await mailbox(user.email);
    expect(second?.links[0]).not.toEqual(first?.links[0]);
    expect((await api("GET", pathOf(second?.links[0] as string))).status).toBe(200);
    // The earlier link still works for its lifetime, but the address is verified already.
    const again = await api("POST", "/api/v1/auth/verify-email/resend", { token: user.tokens.access_token });
    expect(again.status, again.dump).toBe(202);
    expect(again.body).toEqual(res.body);
    await deliverPendingMail();
    expect(await mailbox(user.email)).toHaveLength(2);
  });

  it("resend is rate limited per account (emailByAddress)", async () => {
    const env = envWith({ RATE_LIMIT_ENABLED: "true", RATE_LIMIT_EMAIL_PER_HOUR: "2" });
    const user = await createSignedInUser();
    const call = (ip: string) =>
      api("POST", "/api/v1/auth/verify-email/resend", {
        token: user.tokens.access_token,
        env,
        headers: { "CF-Connecting-IP": ip },
      });
    // Different IPs, so only the per-account rule can be what stops the third.
    expect((await call("198.51.100.1")).status).toBe(202);
    expect((await call("198.51.100.2")).status).toBe(202);
    const third = await call("198.51.100.3");
    expect(third.status, third.dump).toBe(429);
    expect(third.body.code).toBe("rate_limited");
  });
});
