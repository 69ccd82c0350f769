import { describe, expect, it } from "vitest";
import { countRoundTrips } from "../../helpers/db.ts";
import { createSignedInUser, STRONG_PASSWORD, unique } from "../../helpers/factories.ts";
import { api, envWith } from "../../helpers/harness.ts";
import { latestMail, tokenFrom } from "../../helpers/mail.ts";

/** Counted for docs/database-round-trips.md (the reset routes are counted in password-reset.test.ts). */
describe("database round trips of the e-mail routes", () => {
  it("register (account + token + outbox row) costs 1", async () => {
    const username = `rt_${unique()}`;
    const { result, sqlRequests } = await countRoundTrips((env) =>
      api("POST", "/api/v1/auth/register", {
        json: { username, email: `${username}@example.com`, password: STRONG_PASSWORD },
        env,
      }),
    );
    expect(result.status, result.dump).toBe(201);
    expect(sqlRequests).toBe(1);
  });

  it("verify (GET link and POST) costs 1 each, resend costs 1, an e-mail change costs 2", async () => {
    const user = await createSignedInUser();
    const first = tokenFrom((await latestMail(user.email)).links[0] as string);
    const get = await countRoundTrips((env) => api("GET", `/api/v1/auth/verify/${first}`, { env }));
    expect(get.result.status, get.result.dump).toBe(200);
    expect(get.sqlRequests).toBe(1);

    const patch = await countRoundTrips((env) =>
      api("PATCH", "/api/v1/users/me", {
        token: user.tokens.access_token,
        json: { email: `changed_${user.email}`, current_password: user.password },
        env,
      }),
    );
    expect(patch.result.status, patch.result.dump).toBe(200);
    expect(patch.sqlRequests).toBe(2);

    const resend = await countRoundTrips((env) =>
      api("POST", "/api/v1/auth/verify-email/resend", { token: user.tokens.access_token, env }),
    );
    expect(resend.result.status, resend.result.dump).toBe(202);
    expect(resend.sqlRequests).toBe(1);

    const second = tokenFrom((await latestMail(`changed_${user.email}`)).links[0] as string);
    const post = await countRoundTrips((env) =>
      api("POST", "/api/v1/auth/verify-email", { json: { token: second }, env }),
    );
    expect(post.result.status, post.result.dump).toBe(200);
    expect(post.sqlRequests).toBe(1);
  });

  it("the dev mailbox costs 1", async () => {
    const { result, sqlRequests } = await countRoundTrips((env) =>
      api("GET", "/api/v1/dev/mailbox?to=nobody@example.com", {
        env: envWith({ ...env, ENVIRONMENT: "development" }),
      }),
    );
    expect(result.status, result.dump).toBe(200);
    expect(sqlRequests).toBe(1);
  });
});
