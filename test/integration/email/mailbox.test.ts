import { describe, expect, it } from "vitest";
import { createUser } from "../../helpers/factories.ts";
import { api } from "../../helpers/harness.ts";
import { devEnv, latestMail, mailbox } from "../../helpers/mail.ts";

describe("dev mailbox", () => {
  it("lists the mail sent to an address, newest first, with the links in it (any case of the address)", async () => {
    const user = await createUser();
    await latestMail(user.email);
    await api("POST", "/api/v1/auth/password-reset/request", { json: { email: user.email } });
    await latestMail(user.email);
    const items = await mailbox(user.email.toUpperCase());
    expect(items.map((i) => i.subject)).toEqual(["Reset your password", "Confirm your e-mail address"]);
    expect(items[0]).toEqual({
      to: user.email,
      subject: "Reset your password",
      text: expect.stringContaining(items[0]?.links[0] as string),
      links: [expect.stringMatching(/^http:\/\/localhost\/reset-password#token=[A-Za-z0-9_-]{43}$/)],
      created_at: expect.stringMatching(/Z$/),
    });
    expect(Date.parse(items[0]?.created_at as string)).toBeGreaterThanOrEqual(
      Date.parse(items[1]?.created_at as string),
    );
  });

  it("is in the OpenAPI document in development only", async () => {
    const dev = await api("GET", "/api/openapi.json", { env: devEnv });
    expect(Object.keys(dev.body.paths)).toContain("/api/v1/dev/mailbox");
    const test = await api("GET", "/api/openapi.json");
    expect(Object.keys(test.body.paths).filter((p) => p.startsWith("/api/v1/dev/"))).toEqual([]);
    expect(JSON.stringify(test.body)).not.toMatch(/mailbox/i);
  });

  it.each([
    ["GET", "/api/v1/dev/mailbox?to=someone@example.com"],
    ["GET", "/api/v1/dev/mailbox"],
    ["POST", "/api/v1/dev/mailbox"],
  ])("outside development %s %s answers 404 like any unknown path", async (method, path) => {
    const res = await api(method, path);
    expect(res.status, res.dump).toBe(404);
    expect(res.body).toMatchObject({ code: "not_found" });
    expect(res.headers.get("Allow")).toBeNull();
  });

  it("answers 422 without `to` in development", async () => {
    const res = await api("GET", "/api/v1/dev/mailbox", { env: devEnv });
    expect(res.status, res.dump).toBe(422);
  });
});
