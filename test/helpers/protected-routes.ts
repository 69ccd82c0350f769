/**
 * The shared 401/403 suite: every operation the OpenAPI document marks as protected (non-empty
 * `security`) is tried with every kind of bad credential. Routes are found from the document, so a
 * new protected route is covered the moment it is declared.
 */
import { decodeJwt, SignJWT } from "jose";
import { hsKid } from "../../src/services/tokens.ts";
import { createSignedInUser, type TestUser, type TokenPair } from "./factories.ts";
import { api, testEnv } from "./harness.ts";

export interface ProtectedOperation {
  method: string;
  template: string;
  /** A concrete path (path parameters filled with random UUIDs). */
  path: string;
  roles: string[] | undefined;
}

export async function protectedOperations(): Promise<ProtectedOperation[]> {
  const doc = (await api("GET", "/api/openapi.json")).body as {
    paths: Record<string, Record<string, { security?: unknown[]; "x-required-roles"?: string[] }>>;
  };
  const ops: ProtectedOperation[] = [];
  for (const [template, methods] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(methods)) {
      if (!op.security || op.security.length === 0) continue;
      ops.push({
        method: method.toUpperCase(),
        template,
        path: template.replace(/\{[^}]+\}/g, () => crypto.randomUUID()),
        roles: op["x-required-roles"],
      });
    }
  }
  return ops;
}

const secret = () => new TextEncoder().encode(testEnv.JWT_SECRET as string);

/** Signs claims like the Worker does, with overrides, to build near-valid tokens. */
export async function craftToken(
  user: TestUser & { tokens: TokenPair },
  opts: { claims?: Record<string, unknown>; expiresAt?: number; key?: Uint8Array; kid?: string } = {},
): Promise<string> {
  const payload = decodeJwt(user.tokens.access_token);
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({
    ...payload,
    jti: crypto.randomUUID(),
    iat: now,
    exp: opts.expiresAt ?? now + 600,
    ...opts.claims,
  })
    .setProtectedHeader({ alg: "HS256", kid: opts.kid ?? (await hsKid(testEnv.JWT_SECRET as string)) })
    .sign(opts.key ?? secret());
}

const b64url = (s: string) => btoa(s).replace(/=+$/, "").replace(/\+/g, "-").replace(/\//g, "_");

/** The credentials every protected route must refuse with 401. */
export async function badCredentials(): Promise<[string, Record<string, string>][]> {
  const user = await createSignedInUser();
  const now = Math.floor(Date.now() / 1000);
  const [, payload] = user.tokens.access_token.split(".");
  const revoked = await createSignedInUser();
  await api("POST", "/api/v1/auth/logout", { token: revoked.tokens.access_token });
  const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });
  return [
    ["no Authorization header", {}],
    ["a malformed header (no scheme)", { Authorization: user.tokens.access_token }],
    ["a malformed header (Basic)", { Authorization: "Basic dXNlcjpwYXNz" }],
    ["a malformed header (Bearer, no token)", { Authorization: "Bearer " }],
    ["a garbage token", bearer("garbage.token.value")],
    [
      "a wrong signature",
      bearer(
        await craftToken(user, { key: new TextEncoder().encode("another-secret-another-secret-another-1") }),
      ),
    ],
    [
      "alg none",
      bearer(
        `${b64url(JSON.stringify({ alg: "none", typ: "JWT", kid: await hsKid(testEnv.JWT_SECRET as string) }))}.${payload}.`,
      ),
    ],
    [
      "an expired token",
      bearer(await craftToken(user, { claims: { iat: now - 7200 }, expiresAt: now - 60 })),
    ],
    ["a wrong audience", bearer(await craftToken(user, { claims: { aud: "someone-else" } }))],
    ["a wrong issuer", bearer(await craftToken(user, { claims: { iss: "https://evil.example" } }))],
    ["a revoked session", bearer(revoked.tokens.access_token)],
  ];
}
