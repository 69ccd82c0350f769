import {
  base64url,
  decodeJwt,
  decodeProtectedHeader,
  exportJWK,
  exportSPKI,
  generateKeyPair,
  type JWK,
  type JWTPayload,
  SignJWT,
} from "jose";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../../src/env.ts";
import { PRIVATE_JWK_MEMBERS } from "../../../src/lib/jwk.ts";
import { hsKid, publicJwks } from "../../../src/services/tokens.ts";
import { createUser, loginAs } from "../../helpers/factories.ts";
import { type ApiResponse, api, envWith, type TestEnv, testEnv } from "../../helpers/harness.ts";

type Alg = "EdDSA" | "ES256";

/** A fresh key pair of `alg` (or of another curve, labelled `alg`), as JWKs and CryptoKeys. */
async function keyPair(alg: Alg | "ES384", kid = `${alg.toLowerCase()}-${crypto.randomUUID().slice(0, 8)}`) {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  return {
    privateKey,
    publicKey,
    kid,
    privateJwk: { ...(await exportJWK(privateKey)), alg, kid } as JWK & { kid: string },
    publicJwk: { ...(await exportJWK(publicKey)), alg, kid } as JWK & { kid: string },
  };
}

const jwksPath = "/api/v1/auth/jwks.json";

/** Asserts a 500 configuration_error naming `variable`, and that none of `secrets` is in the answer. */
function expectConfigError(res: ApiResponse, variable: string, secrets: string[] = []) {
  expect(res.status, res.dump).toBe(500);
  expect(res.body.code).toBe("configuration_error");
  expect(res.body.detail).toContain(variable);
  for (const secret of secrets) expect(res.text).not.toContain(secret);
}

describe("published keys carry public members only", () => {
  it.each<Alg>(["EdDSA", "ES256"])(
    "a %s private key is published from the allow-list, whatever else the JWK holds",
    async (alg) => {
      const key = await keyPair(alg);
      const env = envWith({
        JWT_PRIVATE_KEY: JSON.stringify({
          ...key.privateJwk,
          key_ops: ["sign"],
          ext: true,
          x5u: "https://example.com/cert",
          note: "operator notes",
        }),
      });
      const res = await api("GET", jwksPath, { env });
      expect(res.status, res.dump).toBe(200);
      expect(res.body.keys).toEqual([{ ...key.publicJwk, use: "sig" }]);
      expect(res.text).not.toContain(key.privateJwk.d);
    },
  );

  it("keys from JWT_PUBLIC_KEYS are published from the allow-list too", async () => {
    const current = await keyPair("EdDSA");
    const old = await keyPair("ES256");
    const env = envWith({
      JWT_PRIVATE_KEY: JSON.stringify(current.privateJwk),
      JWT_PUBLIC_KEYS: JSON.stringify({
        keys: [{ ...old.publicJwk, x5u: "https://example.com/c", note: "x" }],
      }),
    });
    const res = await api("GET", jwksPath, { env });
    expect(res.status, res.dump).toBe(200);
    expect(res.body.keys).toEqual([
      { ...current.publicJwk, use: "sig" },
      { ...old.publicJwk, use: "sig" },
    ]);
  });
});

describe("JWT_PUBLIC_KEYS with private material is a configuration error", () => {
  it.each([...PRIVATE_JWK_MEMBERS])("a key carrying %s is refused, never published", async (member) => {
    const key = await keyPair("EdDSA");
    const secretValue = `SECRET-${member}-${crypto.randomUUID()}`;
    const env = envWith({
      JWT_PUBLIC_KEYS: JSON.stringify({ keys: [{ ...key.publicJwk, [member]: secretValue }] }),
    });
    for (const path of [jwksPath, "/.well-known/jwks.json", "/"]) {
      expectConfigError(await api("GET", path, { env, unchecked: path === "/" }), "JWT_PUBLIC_KEYS", [
        secretValue,
      ]);
    }
  });

  it("a whole private JWK put into the public set is refused (its d never reaches /jwks.json)", async () => {
    const key = await keyPair("ES256");
    const env = envWith({ JWT_PUBLIC_KEYS: JSON.stringify({ keys: [key.privateJwk] }) });
    const res = await api("GET", jwksPath, { env });
    expectConfigError(res, "JWT_PUBLIC_KEYS", [key.privateJwk.d as string]);
    expect(res.body.detail).toContain("private member(s) d");
  });

  it("private members outside the keys array are refused as well", async () => {
    const key = await keyPair("EdDSA");
    const env = envWith({ JWT_PUBLIC_KEYS: JSON.stringify({ keys: [key.publicJwk], k: "c2VjcmV0" }) });
    expectConfigError(await api("GET", jwksPath, { env }), "JWT_PUBLIC_KEYS", ["c2VjcmV0"]);
  });
});

describe("JWT_PRIVATE_KEY is checked against its alg and curve when the config loads", () => {
  const cases: [string, () => Promise<JWK>][] = [
    ["a P-384 key labelled ES256", async () => ({ ...(await keyPair("ES384")).privateJwk, alg: "ES256" })],
    ["an Ed25519 key labelled ES256", async () => ({ ...(await keyPair("EdDSA")).privateJwk, alg: "ES256" })],
    ["a P-256 key labelled EdDSA", async () => ({ ...(await keyPair("ES256")).privateJwk, alg: "EdDSA" })],
    ["an OKP key naming crv P-256", async () => ({ ...(await keyPair("EdDSA")).privateJwk, crv: "P-256" })],
    [
      "an ES256 key without y",
      async () => {
        const { y: _y, ...jwk } = (await keyPair("ES256")).privateJwk;
        return jwk;
      },
    ],
    [
      "a d of the wrong length",
      async () => {
        const jwk = (await keyPair("EdDSA")).privateJwk;
        return { ...jwk, d: (jwk.d as string).slice(0, 40) };
      },
    ],
    ["a JWK without kid", async () => ({ ...(await keyPair("EdDSA")).privateJwk, kid: undefined })],
  ];

  it.each(cases)(
    "%s fails every request with configuration_error, not a 500 on login",
    async (_label, make) => {
      const jwk = await make();
      const env = envWith({ JWT_PRIVATE_KEY: JSON.stringify(jwk) });
      // loadConfig refuses it, so even a route that never signs answers configuration_error.
      expectConfigError(await api("GET", "/", { env, unchecked: true }), "JWT_PRIVATE_KEY", [
        jwk.d as string,
      ]);
      const login = await api("POST", "/api/v1/auth/login", {
        json: { username: "whoever", password: "whatever-password" },
        env,
      });
      expectConfigError(login, "JWT_PRIVATE_KEY", [jwk.d as string]);
    },
  );

  it.each<Alg>(["EdDSA", "ES256"])(
    "a %s d that does not belong to x/y is a configuration_error when the key ring is built",
    async (alg) => {
      const a = await keyPair(alg);
      const b = await keyPair(alg, a.kid);
      const mixed = { ...b.publicJwk, d: a.privateJwk.d };
      const env = envWith({ JWT_PRIVATE_KEY: JSON.stringify(mixed) });
      const user = await createUser();
      const login = await api("POST", "/api/v1/auth/login", {
        json: { username: user.username, password: user.password },
        env,
      });
      expectConfigError(login, "JWT_PRIVATE_KEY", [a.privateJwk.d as string]);
      expectConfigError(await api("GET", jwksPath, { env }), "JWT_PRIVATE_KEY");
    },
  );

  it("a public point that is not on the curve is a configuration_error naming JWT_PUBLIC_KEYS", async () => {
    const key = await keyPair("ES256");
    // Right sizes, so the schema accepts it; the import is what refuses it.
    const offCurve = { ...key.publicJwk, y: base64url.encode(new Uint8Array(32).fill(7)) };
    const env = envWith({ JWT_PUBLIC_KEYS: JSON.stringify({ keys: [offCurve] }) });
    expect((await api("GET", "/", { env, unchecked: true })).status).toBe(200);
    expectConfigError(await api("GET", jwksPath, { env }), "JWT_PUBLIC_KEYS");
  });

  it("a key ring that failed to build is built again on the next call, not cached", async () => {
    const key = await keyPair("ES256");
    const offCurve = { ...key.publicJwk, y: base64url.encode(new Uint8Array(32).fill(7)) };
    const config = loadConfig(envWith({ JWT_PUBLIC_KEYS: JSON.stringify({ keys: [offCurve] }) }));
    await expect(publicJwks(config)).rejects.toMatchObject({ name: "ConfigError" });
    // Stands in for a transient failure: the same config object, now importable. A cached rejection
    // would fail again here.
    (config as { JWT_PUBLIC_KEYS?: string }).JWT_PUBLIC_KEYS = JSON.stringify({ keys: [key.publicJwk] });
    expect((await publicJwks(config)).keys).toEqual([{ ...key.publicJwk, use: "sig" }]);
  });

  it("a kid used by two keys is a configuration_error", async () => {
    const current = await keyPair("EdDSA", "same-kid");
    const old = await keyPair("ES256", "same-kid");
    const env = envWith({
      JWT_PRIVATE_KEY: JSON.stringify(current.privateJwk),
      JWT_PUBLIC_KEYS: JSON.stringify({ keys: [old.publicJwk] }),
    });
    expectConfigError(await api("GET", "/", { env, unchecked: true }), "JWT_PUBLIC_KEYS");
  });
});

describe("JWT_PREVIOUS_SECRETS", () => {
  it("an entry shorter than 32 characters is a configuration_error naming the variable only", async () => {
    const short = "short-old-secret-123";
    const env = envWith({ JWT_PREVIOUS_SECRETS: `${"x".repeat(40)},${short}` });
    expectConfigError(await api("GET", "/", { env, unchecked: true }), "JWT_PREVIOUS_SECRETS", [short]);
  });

  it("entries of 32 characters or more are accepted", async () => {
    const env = envWith({ JWT_PREVIOUS_SECRETS: `${"x".repeat(32)}, ${"y".repeat(64)}` });
    expect((await api("GET", "/", { env, unchecked: true })).status).toBe(200);
  });
});

describe.each<Alg>(["EdDSA", "ES256"])("algorithm confusion with an %s key beside JWT_SECRET", (alg) => {
  // Both HS256 (JWT_SECRET from the test env) and `alg` are accepted algorithms here, so only the
  // per-kid algorithm check stands between a forged token and the API.
  async function setup() {
    const key = await keyPair(alg);
    const env = envWith({ JWT_PRIVATE_KEY: JSON.stringify(key.privateJwk) });
    const user = await createUser();
    const pair = await loginAs(user, { env });
    expect(decodeProtectedHeader(pair.access_token)).toMatchObject({ alg, kid: key.kid });
    return { key, env, claims: decodeJwt(pair.access_token) };
  }
  const forge = (claims: JWTPayload, header: Record<string, unknown>, key: CryptoKey | Uint8Array) =>
    new SignJWT(claims).setProtectedHeader({ typ: "JWT", ...header } as never).sign(key);
  const me = (token: string, env: TestEnv) => api("GET", "/api/v1/users/me", { token, env });
  const hsSecret = new TextEncoder().encode(testEnv.JWT_SECRET as string);

  it("control: the same claims re-signed with the right key and alg are accepted", async () => {
    const { key, env, claims } = await setup();
    expect((await me(await forge(claims, { alg, kid: key.kid }, key.privateKey), env)).status).toBe(200);
    const hs = await forge(
      claims,
      { alg: "HS256", kid: await hsKid(testEnv.JWT_SECRET as string) },
      hsSecret,
    );
    expect((await me(hs, env)).status).toBe(200);
  });

  it(`an HS256 token whose kid names the ${alg} key is refused`, async () => {
    const { key, env, claims } = await setup();
    const res = await me(await forge(claims, { alg: "HS256", kid: key.kid }, hsSecret), env);
    expect(res.status, res.dump).toBe(401);
  });

  it("an HS256 token keyed with the public key's bytes is refused, in every encoding", async () => {
    const { key, env, claims } = await setup();
    const published = (await api("GET", jwksPath, { env })).body.keys[0];
    const encoder = new TextEncoder();
    const secrets = [
      encoder.encode(JSON.stringify(published)),
      encoder.encode(JSON.stringify(key.publicJwk)),
      encoder.encode(await exportSPKI(key.publicKey)),
      encoder.encode(key.publicJwk.x as string),
      base64url.decode(key.publicJwk.x as string),
    ];
    for (const secret of secrets) {
      const res = await me(await forge(claims, { alg: "HS256", kid: key.kid }, secret), env);
      expect(res.status, res.dump).toBe(401);
    }
  });

  it(`an ${alg} token whose kid names the HS256 secret is refused`, async () => {
    const { key, env, claims } = await setup();
    const kid = await hsKid(testEnv.JWT_SECRET as string);
    const res = await me(await forge(claims, { alg, kid }, key.privateKey), env);
    expect(res.status, res.dump).toBe(401);
  });

  it("a token signed by a foreign key that embeds its own jwk under the configured kid is refused", async () => {
    const { key, env, claims } = await setup();
    const attacker = await keyPair(alg, key.kid);
    const res = await me(
      await forge(claims, { alg, kid: key.kid, jwk: attacker.publicJwk }, attacker.privateKey),
      env,
    );
    expect(res.status, res.dump).toBe(401);
  });
});
