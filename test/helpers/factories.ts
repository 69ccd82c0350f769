/**
 * Test data: every test makes its own users with unique names, so tests never share rows.
 */
import { expect } from "vitest";
import type { TokenPair } from "../../src/features/auth/auth.service.ts";
import { api, type TestEnv } from "./harness.ts";

let seq = 0;
/** A short unique suffix (per isolate counter + randomness). */
export const unique = () => `${(++seq).toString(36)}${crypto.randomUUID().slice(0, 8)}`;

export const STRONG_PASSWORD = "violet-harbor-lantern-42";

export interface TestUser {
  id: string;
  username: string;
  email: string;
  password: string;
}

/** Registers a user through the API. */
export async function createUser(
  overrides: Partial<{ username: string; email: string; password: string; full_name: string }> = {},
  env?: TestEnv,
): Promise<TestUser> {
  const username = overrides.username ?? `user_${unique()}`;
  const email = overrides.email ?? `${username.toLowerCase()}@example.com`;
  const password = overrides.password ?? STRONG_PASSWORD;
  const res = await api("POST", "/api/v1/auth/register", {
    json: { username, email, password, ...(overrides.full_name ? { full_name: overrides.full_name } : {}) },
    env,
  });
  expect(res.status, res.dump).toBe(201);
  return { id: res.body.id, username, email, password };
}

export type { TokenPair } from "../../src/features/auth/auth.service.ts";

/** Logs a user in and returns the token pair. */
export async function loginAs(
  user: Pick<TestUser, "username" | "password">,
  extra: { remember_me?: boolean; headers?: Record<string, string>; env?: TestEnv } = {},
): Promise<TokenPair> {
  const res = await api("POST", "/api/v1/auth/login", {
    json: {
      username: user.username,
      password: user.password,
      ...(extra.remember_me !== undefined ? { remember_me: extra.remember_me } : {}),
    },
    headers: extra.headers,
    env: extra.env,
  });
  expect(res.status, res.dump).toBe(200);
  return res.body;
}

/** A registered and logged-in user. */
export async function createSignedInUser(): Promise<TestUser & { tokens: TokenPair }> {
  const user = await createUser();
  return { ...user, tokens: await loginAs(user) };
}
