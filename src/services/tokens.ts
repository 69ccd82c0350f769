/**
 * Access tokens (JWT, jose) and refresh tokens (opaque, stored only as hashes).
 *
 * Signing: HS256 with JWT_SECRET by default, or EdDSA/ES256 with JWT_PRIVATE_KEY (a private JWK).
 * Verification accepts every configured key (current + JWT_PREVIOUS_SECRETS + JWT_PUBLIC_KEYS),
 * chosen by the `kid` header and restricted to the configured algorithms, so keys rotate without
 * logging anyone out. `alg: none` and unknown `kid`s are refused.
 */
import { base64url, importJWK, type JWK, jwtVerify, SignJWT } from "jose";
import { z } from "zod";
import { type Config, ConfigError } from "../env.ts";
import { unauthorized } from "../lib/errors.ts";
import { PrivateJwkSchema, PublicJwksSchema, publicJwk } from "../lib/jwk.ts";
import type { AuthContext } from "../lib/types.ts";

type SigningAlg = "HS256" | "EdDSA" | "ES256";
interface VerificationKey {
  alg: SigningAlg;
  key: CryptoKey;
}
interface KeyRing {
  signing: { alg: SigningAlg; kid: string; key: CryptoKey };
  verification: Map<string, VerificationKey>;
  algorithms: SigningAlg[];
  publicJwks: JWK[];
  rotationKey: CryptoKey;
}

const encoder = new TextEncoder();
const sha256 = async (data: string | Uint8Array) =>
  new Uint8Array(
    await crypto.subtle.digest("SHA-256", typeof data === "string" ? encoder.encode(data) : data),
  );

export const hsKid = async (secret: string) => `hs-${base64url.encode(await sha256(secret)).slice(0, 16)}`;

/** Imports `jwk` as `alg`; failure is the operator's configuration problem, named by variable only. */
async function importConfigured(jwk: JWK, alg: string, variable: string): Promise<CryptoKey> {
  try {
    return (await importJWK(jwk, alg)) as CryptoKey;
  } catch {
    throw new ConfigError([`${variable}: could not be imported as an ${alg} key`]);
  }
}

async function buildKeyRing(config: Config): Promise<KeyRing> {
  const verification = new Map<string, VerificationKey>();
  const publicJwks: JWK[] = [];
  let signing: KeyRing["signing"] | undefined;

  for (const secret of [config.JWT_SECRET, ...config.JWT_PREVIOUS_SECRETS].filter(Boolean) as string[]) {
    const kid = await hsKid(secret);
    // Imported once per isolate: jose would import a raw secret anew on every sign and verify.
    const key = await crypto.subtle.importKey(
      "raw",
      encoder.encode(secret),
      { name: "HMAC", hash: "SHA-256" },
      false,
      ["sign", "verify"],
    );
    verification.set(kid, { alg: "HS256", key });
    if (!signing && secret === config.JWT_SECRET) signing = { alg: "HS256", kid, key };
  }

  // loadConfig has already checked these shapes strictly; parsing again only recovers the types.
  if (config.JWT_PRIVATE_KEY) {
    const jwk = PrivateJwkSchema.parse(JSON.parse(config.JWT_PRIVATE_KEY));
    const key = await importConfigured(jwk, jwk.alg, "JWT_PRIVATE_KEY");
    const published = publicJwk(jwk);
    const verifier = await importConfigured(published, jwk.alg, "JWT_PRIVATE_KEY");
    // WebCrypto does not promise to check that d belongs to x/y; a mismatch would sign tokens that
    // never verify, so prove the pair once per isolate.
    if (!(await signsAndVerifies(jwk.alg, key, verifier))) {
      throw new ConfigError(["JWT_PRIVATE_KEY: d does not belong to the public key (x, y)"]);
    }
    // The asymmetric key wins over JWT_SECRET for signing; HS256 tokens stay valid until they expire.
    signing = { alg: jwk.alg, kid: jwk.kid, key };
    publicJwks.push({ ...published, use: "sig" });
    verification.set(jwk.kid, { alg: jwk.alg, key: verifier });
  }
  if (config.JWT_PUBLIC_KEYS) {
    for (const jwk of PublicJwksSchema.parse(JSON.parse(config.JWT_PUBLIC_KEYS)).keys) {
      const published = publicJwk(jwk);
      publicJwks.push({ ...published, use: "sig" });
      verification.set(jwk.kid, {
        alg: jwk.alg,
        key: await importConfigured(published, jwk.alg, "JWT_PUBLIC_KEYS"),
      });
    }
  }
  if (!signing) throw new ConfigError(["JWT_SECRET: JWT_SECRET or JWT_PRIVATE_KEY is required"]);

  // Key for deriving the next refresh token from the presented one (see nextRefreshToken).
  const rotationKey = await crypto.subtle.importKey(
    "raw",
    await sha256(`refresh-rotation:${config.JWT_PRIVATE_KEY ?? config.JWT_SECRET}`),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  const algorithms = [...new Set([...verification.values()].map((k) => k.alg))];
  return { signing, verification, algorithms, publicJwks, rotationKey };
}

/** One signature over a fixed probe, verified with the public half. */
async function signsAndVerifies(alg: "EdDSA" | "ES256", key: CryptoKey, verifier: CryptoKey) {
  const params = alg === "EdDSA" ? { name: "Ed25519" } : { name: "ECDSA", hash: "SHA-256" };
  const probe = encoder.encode("edge-auth-api key check");
  const signature = await crypto.subtle.sign(params, key, probe);
  return crypto.subtle.verify(params, verifier, signature, probe);
}

const rings = new WeakMap<Config, Promise<KeyRing>>();
function keyRing(config: Config): Promise<KeyRing> {
  let ring = rings.get(config);
  if (!ring) {
    const building = buildKeyRing(config);
    rings.set(config, building);
    // A failed build is not remembered: the next request tries again (a transient failure must not
    // leave the isolate unable to sign until it is recycled).
    building.catch(() => {
      if (rings.get(config) === building) rings.delete(config);
    });
    ring = building;
  }
  return ring;
}

export interface AccessTokenInput {
  userId: string;
  sessionId: string;
  role: AuthContext["role"];
}

/** Signs an access token with claims iss, aud, sub, sid, role, iat, exp, jti and a `kid` header. */
export async function signAccessToken(
  config: Config,
  input: AccessTokenInput,
): Promise<{ token: string; expiresIn: number }> {
  const ring = await keyRing(config);
  const expiresIn = config.ACCESS_TOKEN_TTL_SECONDS;
  const token = await new SignJWT({ sid: input.sessionId, role: input.role })
    .setProtectedHeader({ alg: ring.signing.alg, kid: ring.signing.kid, typ: "JWT" })
    .setIssuer(config.JWT_ISSUER)
    .setAudience(config.JWT_AUDIENCE)
    .setSubject(input.userId)
    .setIssuedAt()
    .setExpirationTime(`${expiresIn}s`)
    .setJti(crypto.randomUUID())
    .sign(ring.signing.key);
  return { token, expiresIn };
}

const AccessClaims = z.object({
  sub: z.uuid(),
  sid: z.uuid(),
  role: z.enum(["user", "moderator", "admin"]),
  jti: z.string().min(1),
});

/** Verifies signature, algorithm, kid, issuer, audience and expiry; any failure is the same 401. */
export async function verifyAccessToken(config: Config, token: string): Promise<AuthContext> {
  const ring = await keyRing(config);
  try {
    const { payload } = await jwtVerify(
      token,
      (header) => {
        const entry = header.kid ? ring.verification.get(header.kid) : undefined;
        if (!entry || entry.alg !== header.alg) throw new Error("unknown key");
        return entry.key;
      },
      {
        issuer: config.JWT_ISSUER,
        audience: config.JWT_AUDIENCE,
        algorithms: ring.algorithms,
        requiredClaims: ["iat", "exp", "sub", "jti"],
      },
    );
    const claims = AccessClaims.parse(payload);
    return { userId: claims.sub, sessionId: claims.sid, role: claims.role, tokenId: claims.jti };
  } catch {
    throw unauthorized();
  }
}

/** Public keys for `/jwks.json` (empty when only HS256 is configured: its secret is never published). */
export async function publicJwks(config: Config): Promise<{ keys: JWK[] }> {
  return { keys: (await keyRing(config)).publicJwks };
}

/** A fresh opaque refresh token: 256 random bits, base64url. */
export function newRefreshToken(): string {
  return base64url.encode(crypto.getRandomValues(new Uint8Array(32)));
}

/** What is stored instead of a token: hex SHA-256 (the token has 256 bits of entropy, so no salt). */
export async function hashToken(token: string): Promise<string> {
  return [...(await sha256(token))].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * The refresh token that replaces `presented`: HMAC-SHA256 under a server key, so it is as
 * unguessable as a random one, yet two concurrent refreshes with the same token derive the *same*
 * successor. That is what lets a replay within the grace window get the current pair back although
 * only hashes are stored.
 */
export async function nextRefreshToken(config: Config, presented: string): Promise<string> {
  const ring = await keyRing(config);
  return base64url.encode(
    new Uint8Array(await crypto.subtle.sign("HMAC", ring.rotationKey, encoder.encode(presented))),
  );
}
