import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { NewPassword } from "../../src/features/auth/auth.schemas.ts";
import { COMMON_PASSWORDS_ASSET } from "../../src/services/common-passwords.ts";
import {
  type CommonPasswordCheck,
  commonPasswordCheck,
  newPasswordProblem,
} from "../../src/services/password-policy.ts";

describe("password policy: one rule set for registration and the admin CLI", () => {
  // What the admin CLI does: the same list (here read from the Worker's assets), checked synchronously.
  let check: CommonPasswordCheck;
  beforeAll(async () => {
    const res = await env.STATIC.fetch(`https://assets.invalid${COMMON_PASSWORDS_ASSET}`);
    expect(res.status).toBe(200);
    check = commonPasswordCheck(await res.text());
  });

  it.each([
    "short",
    "1234567",
    "12345678",
    "password123",
    "PASSWORD123",
    "aaaaaaaaaa",
    "zyxwvuts",
    "correct horse battery staple",
    "violet staple orbit 42",
    "x".repeat(128),
    `${"x".repeat(127)}é`,
    "y".repeat(129),
  ])("the schema and newPasswordProblem agree on %j", async (password) => {
    expect((await NewPassword.safeParseAsync(password)).success).toBe(
      newPasswordProblem(password, check) === undefined,
    );
  });

  it("names the broken rule", () => {
    expect(newPasswordProblem("short", check)).toBe("must be at least 8 characters");
    expect(newPasswordProblem("y".repeat(129), check)).toBe("must be at most 128 characters");
    expect(newPasswordProblem("password123", check)).toBe("This password is too common; choose another");
    expect(newPasswordProblem("violet staple orbit 42", check)).toBeUndefined();
  });
});
