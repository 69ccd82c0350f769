/**
 * The shapes of the asymmetric signing keys this API accepts (JWK, RFC 7517/8037/7518), checked
 * strictly and synchronously so that a wrong key fails configuration, not every login.
 *
 * Accepted: EdDSA keys (`kty` OKP, `crv` Ed25519, `x` and `d` of 32 bytes) and ES256 keys (`kty` EC,
 * `crv` P-256, `x`, `y` and `d` of 32 bytes), each with a `kid`.
 */
import { z } from "zod";

/** JWK members that carry private key material (RFC 7518 section 6). */
export const PRIVATE_JWK_MEMBERS = ["d", "p", "q", "dp", "dq", "qi", "k", "oth"] as const;

/** The only members a published key may carry; everything else is dropped, not just `d`. */
export const PUBLIC_JWK_MEMBERS = ["kty", "crv", "x", "y", "n", "e", "kid", "alg", "use"] as const;

// 32 bytes in unpadded base64url is exactly 43 characters.
const bytes32 = z.string().regex(/^[A-Za-z0-9_-]{43}$/, "must be 32 bytes, base64url without padding");
const common = { kid: z.string().min(1).max(256), use: z.literal("sig").optional() };

const Ed25519Public = z.object({
  alg: z.literal("EdDSA"),
  kty: z.literal("OKP"),
  crv: z.literal("Ed25519"),
  x: bytes32,
  ...common,
});
const P256Public = z.object({
  alg: z.literal("ES256"),
  kty: z.literal("EC"),
  crv: z.literal("P-256"),
  x: bytes32,
  y: bytes32,
  ...common,
});

/** A public verification key, with the curve and sizes its `alg` demands. */
export const PublicJwkSchema = z.discriminatedUnion("alg", [Ed25519Public, P256Public]);
/** A private signing key: a public key plus `d` of the curve's size. */
export const PrivateJwkSchema = z.discriminatedUnion("alg", [
  Ed25519Public.extend({ d: bytes32 }),
  P256Public.extend({ d: bytes32 }),
]);
/** The most keys the published JWKS holds: the signing key and the older ones still accepted. */
export const JWKS_MAX_KEYS = 20;

/** A JWKS of public keys (JWT_PUBLIC_KEYS: the older keys, leaving room for the signing key). */
export const PublicJwksSchema = z.object({ keys: z.array(PublicJwkSchema).max(JWKS_MAX_KEYS - 1) });

export type PublicJwk = z.output<typeof PublicJwkSchema>;
export type PrivateJwk = z.output<typeof PrivateJwkSchema>;

/**
 * The published form of a key: built from the allow-list, so a member nobody thought of (a private
 * one included) can never slip through.
 *
 * @example
 * publicJwk(privateJwk) // { kty, crv, x, kid, alg } — `d` and anything unknown are absent
 */
export function publicJwk(jwk: Record<string, unknown>): PublicJwk {
  const out: Record<string, unknown> = {};
  for (const member of PUBLIC_JWK_MEMBERS) {
    if (jwk[member] !== undefined) out[member] = jwk[member];
  }
  return out as PublicJwk;
}

/** Names of private members found anywhere in `value` (at any depth), for configuration meant to be public. */
export function privateMembersIn(value: unknown): string[] {
  const found = new Set<string>();
  const walk = (v: unknown) => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === "object") {
      for (const [key, inner] of Object.entries(v)) {
        if ((PRIVATE_JWK_MEMBERS as readonly string[]).includes(key)) found.add(key);
        walk(inner);
      }
    }
  };
  walk(value);
  return [...found];
}
