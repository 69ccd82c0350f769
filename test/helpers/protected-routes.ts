/**
 * The shared 401/403 suite: every operation the OpenAPI document marks as protected (non-empty
 * `security`) is tried with every kind of bad credential and with callers of every role, each
 * sending a *valid* body (the request example the document declares). The operations and the roles
 * they admit (`x-required-roles`) are read from the served document, so a new protected route is
 * covered the moment it is declared.
 */
import { decodeJwt, SignJWT } from "jose";
import { hsKid } from "../../src/services/tokens.ts";
import { sql } from "./db.ts";
import { createSignedInUser, loginAs, type TestUser, type TokenPair } from "./factories.ts";
import { api, testEnv } from "./harness.ts";

export const ROLES = ["user", "moderator", "admin"] as const;
export type Role = (typeof ROLES)[number];

export interface ProtectedOperation {
  method: string;
  template: string;
  /** A concrete path (path parameters filled with random UUIDs). */
  path: string;
  /** The roles the document says the operation admits. */
  roles: Role[];
  /** The declared JSON request body example (undefined when the operation takes no body). */
  body: unknown;
  /** The body's media type: `application/json`, or `multipart/form-data` for uploads. */
  mediaType: string;
  /** Whether the operation declares a request body at all. */
  hasBody: boolean;
  /** The JSON schema of that body (for checking that the example is valid). */
  bodySchema: unknown;
}

type Json = Record<string, any>;

export async function protectedOperations(): Promise<ProtectedOperation[]> {
  const doc = (await api("GET", "/api/openapi.json")).body as Json;
  const resolve = (schema: Json | undefined): Json | undefined =>
    schema?.$ref ? doc.components.schemas[String(schema.$ref).split("/").pop() as string] : schema;
  const ops: ProtectedOperation[] = [];
  for (const [template, methods] of Object.entries(doc.paths as Json)) {
    for (const [method, op] of Object.entries(methods as Json) as [string, Json][]) {
      // Protected: the bearer token is required (not only one of several options, e.g. /metrics).
      const requirements = (op.security ?? []) as Json[];
      const bearer = requirements.some((r) => "bearerAuth" in r);
      if (!bearer || requirements.some((r) => Object.keys(r).length === 0)) continue;
      const content = op.requestBody?.content as Json | undefined;
      // JSON bodies, or a multipart upload (sent as a form by requestBody below).
      const mediaType = content?.["application/json"] ? "application/json" : "multipart/form-data";
      const media = content?.[mediaType] as Json | undefined;
      ops.push({
        method: method.toUpperCase(),
        template,
        path: template.replace(/\{[^}]+\}/g, () => crypto.randomUUID()),
        roles: op["x-required-roles"],
        hasBody: Boolean(op.requestBody),
        mediaType,
        body: media?.example ?? resolve(media?.schema)?.example,
        bodySchema: media?.schema,
      });
    }
  }
  return ops;
}

/** Request options that send `op`'s example body in its declared media type (none without a body). */
export function requestBody(op: ProtectedOperation): { json?: unknown; body?: FormData } {
  if (!op.hasBody) return {};
  if (op.mediaType !== "multipart/form-data") return { json: op.body };
  const form = new FormData();
  for (const [name, value] of Object.entries((op.body ?? {}) as Record<string, unknown>))
    form.set(name, String(value));
  return { body: form };
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
const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

/** The credentials every protected route must refuse with 401, whatever the body. */
export async function badCredentials(): Promise<[string, Record<string, string>][]> {
  const user = await createSignedInUser();
  const now = Math.floor(Date.now() / 1000);
  const [, payload] = user.tokens.access_token.split(".");
  const revoked = await createSignedInUser();
  await api("POST", "/api/v1/auth/logout", { token: revoked.tokens.access_token });
  const deactivated = await signedInWithRole("admin");
  await sql`update users set is_active = false where id = ${deactivated.id}`;
  const expiredSession = await createSignedInUser();
  await sql`update sessions set expires_at = now() - interval '1 second' where user_id = ${expiredSession.id}`;
  const deleted = await createSignedInUser();
  await sql`delete from users where id = ${deleted.id}`;
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
    [
      "a session of another user",
      bearer(await craftToken(user, { claims: { sid: decodeJwt(revoked.tokens.access_token).sid } })),
    ],
    ["a revoked session", bearer(revoked.tokens.access_token)],
    ["an expired session", bearer(expiredSession.tokens.access_token)],
    ["a deactivated admin", bearer(deactivated.tokens.access_token)],
    ["a deleted user", bearer(deleted.tokens.access_token)],
  ];
}

/** A registered user with `role`, logged in after the role was set (so the token claims it too). */
export async function signedInWithRole(role: Role): Promise<TestUser & { tokens: TokenPair }> {
  const user = await createSignedInUser();
  if (role === "user") return user;
  await sql`update users set role = ${role} where id = ${user.id}`;
  return { ...user, tokens: await loginAs(user) };
}

/** An admin's token whose account has since been demoted to `role` (the token still says admin). */
export async function demotedAdmin(role: Exclude<Role, "admin">): Promise<TestUser & { tokens: TokenPair }> {
  const user = await signedInWithRole("admin");
  await sql`update users set role = ${role} where id = ${user.id}`;
  return user;
}
