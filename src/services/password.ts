/**
 * Password hashing for registration and login: Argon2id, OWASP's first choice, from a WebAssembly
 * build of the reference implementation (`@phi-ag/argon2`), stored as a PHC string
 *
 *   $argon2id$v=19$m=7168,t=5,p=1$<salt, base64 without padding>$<key, base64 without padding>
 *
 * Hashes written before Argon2id, `$scrypt$ln=14,r=8,p=5$<salt>$<key>` (scrypt from `node:crypto`),
 * still verify and ask for a rehash, so login moves each account to Argon2id on its next success.
 * Parameters, the measured cost of each candidate and the reasons are in docs/password-hashing.md.
 */
import { Buffer } from "node:buffer";
import { timingSafeEqual as nodeTimingSafeEqual, randomBytes, scrypt } from "node:crypto";
import type Argon2 from "@phi-ag/argon2";
import { Argon2Type, Argon2Version } from "@phi-ag/argon2";
import { loadArgon2 } from "#argon2";

/**
 * The parameters new hashes are made with: OWASP's Argon2id m=7 MiB, t=5, p=1, the cheapest of OWASP's
 * equivalent Argon2id configurations in CPU time inside workerd (docs/password-hashing.md).
 */
export const PASSWORD_HASH_PARAMS: {
  /** Memory in KiB. */
  m: number;
  /** Passes over the memory (time cost). */
  t: number;
  /** Lanes (parallelism). */
  p: number;
  /** Derived key length in bytes. */
  keyLength: number;
  /** Random salt length in bytes. */
  saltLength: number;
} = Object.freeze({ m: 7168, t: 5, p: 1, keyLength: 32, saltLength: 16 });

interface Argon2idParams {
  m: number;
  t: number;
  p: number;
}

interface ScryptParams {
  ln: number;
  r: number;
  p: number;
}

type HashParams = ({ algorithm: "argon2id" } & Argon2idParams) | ({ algorithm: "scrypt" } & ScryptParams);

type ParsedHash = HashParams & { salt: Buffer; key: Buffer };

/**
 * Stored strings whose parameters exceed these are refused (verify as false) instead of being run,
 * so a corrupted or hostile row cannot make a login burn seconds of CPU or take more memory than an
 * isolate has (128 MB, and an Argon2 WebAssembly memory never shrinks once grown).
 */
const ARGON2_MAX_MEMORY_KIB = 32 * 1024; // 32 MiB
const ARGON2_MAX_WORK = 2 ** 17; // m·t in KiB-passes: 3.7 times today's 7168·5
const ARGON2_MAX_LANES = 16;
const SCRYPT_MAX_COST = 2 ** 20; // N·r·p, the production Workers limit
const SCRYPT_MAX_MEMORY = 32 * 1024 * 1024; // 128·N·r bytes
// Never shorter than what hashPassword has always written: a shorter value is a truncated (corrupt)
// string, and since scrypt's output for a shorter dkLen is a prefix of the longer one, it would match.
const SALT_BYTES = { min: 16, max: 64 };
const KEY_BYTES = { min: 32, max: 64 };

let computations = 0;

/** Number of password hash computations (Argon2id or scrypt) this isolate has run (tests compare unknown-user vs wrong-password logins). */
export function hashComputationCount(): number {
  return computations;
}

/**
 * NFKC so that the same typed password gives the same bytes whatever the client's keyboard, IME or
 * OS produced: composed "é" (U+00E9) and "e" + U+0301, full-width and half-width forms, ligatures.
 * NIST SP 800-63B §5.1.1.2 asks for NFKC or NFD; NFKC also folds the compatibility forms.
 */
function normalise(password: string): string {
  return password.normalize("NFKC");
}

let argon2: Promise<Argon2> | undefined;

/**
 * One Argon2 WebAssembly instance per isolate, made on first use (a Worker cannot instantiate at
 * global scope without blocking start-up for requests that never hash). Hashing is synchronous, so
 * concurrent requests in the isolate never share it mid-hash.
 */
function argon2Instance(): Promise<Argon2> {
  argon2 ??= loadArgon2().catch((err: unknown) => {
    argon2 = undefined; // let the next request try again rather than fail forever
    throw err;
  });
  return argon2;
}

async function argon2id(password: string, salt: Uint8Array, keyLength: number, params: Argon2idParams) {
  const instance = await argon2Instance();
  const text = normalise(password);
  // @phi-ag/argon2 encodes the string as UTF-8 but gives Argon2 its length in UTF-16 code units, which
  // would cut a non-ASCII password short. Padding the string to its UTF-8 byte length makes the two
  // agree: Argon2 then reads exactly the UTF-8 bytes of the password, and the padding lies past the
  // length it is given. test/unit/password.test.ts pins the result against @noble/hashes.
  const byteLength = Buffer.byteLength(text, "utf8");
  const padded = text.padEnd(byteLength, "\0");
  const { hash } = instance.hash(padded, {
    salt,
    hashLength: keyLength,
    memoryCost: params.m,
    timeCost: params.t,
    parallelism: params.p,
    type: Argon2Type.Argon2id,
    version: Argon2Version.Version13,
  });
  return hash;
}

function scryptKey(
  password: string,
  salt: Uint8Array,
  keyLength: number,
  params: ScryptParams,
): Promise<Buffer> {
  const N = 2 ** params.ln;
  // OpenSSL needs 128·r·(N+2) + 128·r·p bytes; twice 128·N·r leaves ample room for that overhead.
  const maxmem = 2 * 128 * N * params.r;
  const bytes = Buffer.from(normalise(password), "utf8");
  return new Promise((resolve, reject) => {
    scrypt(bytes, salt, keyLength, { N, r: params.r, p: params.p, maxmem }, (err, key) => {
      if (err) reject(err);
      else resolve(key);
    });
  });
}

/** The one place a hash is computed, so hashComputationCount counts every one. */
function deriveKey(password: string, params: HashParams, salt: Uint8Array, keyLength: number) {
  computations++;
  return params.algorithm === "argon2id"
    ? argon2id(password, salt, keyLength, params)
    : scryptKey(password, salt, keyLength, params);
}

function b64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64").replace(/=+$/, "");
}

const B64_NO_PAD = /^[A-Za-z0-9+/]+$/;

/** Strict base64 without padding; anything Buffer would silently skip or pad is refused. */
function unb64(text: string): Buffer | undefined {
  if (!B64_NO_PAD.test(text) || text.length % 4 === 1) return undefined;
  const bytes = Buffer.from(text, "base64");
  // Reject non-canonical encodings (stray low bits in the last character).
  return b64(bytes) === text ? bytes : undefined;
}

function saltAndKey(salt64: string | undefined, key64: string | undefined) {
  const salt = unb64(salt64 ?? "");
  const key = unb64(key64 ?? "");
  if (!salt || salt.length < SALT_BYTES.min || salt.length > SALT_BYTES.max) return undefined;
  if (!key || key.length < KEY_BYTES.min || key.length > KEY_BYTES.max) return undefined;
  return { salt, key };
}

const ARGON2_PARAMS_FIELD = /^m=([1-9]\d{0,6}),t=([1-9]\d{0,6}),p=([1-9]\d{0,2})$/;
const SCRYPT_PARAMS_FIELD = /^ln=([1-9]\d?),r=([1-9]\d{0,2}),p=([1-9]\d{0,2})$/;

function parseArgon2id(parts: string[]): ParsedHash | undefined {
  if (parts.length !== 6 || parts[2] !== "v=19") return undefined;
  const match = ARGON2_PARAMS_FIELD.exec(parts[3] ?? "");
  if (!match) return undefined;
  const [m, t, p] = [Number(match[1]), Number(match[2]), Number(match[3])];
  // Argon2 itself needs at least 8 KiB per lane.
  if (p > ARGON2_MAX_LANES || m < 8 * p || m > ARGON2_MAX_MEMORY_KIB || m * t > ARGON2_MAX_WORK)
    return undefined;
  const bytes = saltAndKey(parts[4], parts[5]);
  return bytes && { algorithm: "argon2id", m, t, p, ...bytes };
}

function parseScrypt(parts: string[]): ParsedHash | undefined {
  if (parts.length !== 5) return undefined;
  const match = SCRYPT_PARAMS_FIELD.exec(parts[2] ?? "");
  if (!match) return undefined;
  const [ln, r, p] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const N = 2 ** ln;
  if (N * r * p > SCRYPT_MAX_COST || 128 * N * r > SCRYPT_MAX_MEMORY) return undefined;
  const bytes = saltAndKey(parts[3], parts[4]);
  return bytes && { algorithm: "scrypt", ln, r, p, ...bytes };
}

/** Parses a stored hash; undefined for anything malformed, of another algorithm, or out of bounds. */
function parse(stored: unknown): ParsedHash | undefined {
  if (typeof stored !== "string" || stored.length > 512) return undefined;
  const parts = stored.split("$");
  if (parts[0] !== "") return undefined;
  if (parts[1] === "argon2id") return parseArgon2id(parts);
  if (parts[1] === "scrypt") return parseScrypt(parts);
  return undefined;
}

function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false;
  // workerd's non-standard SubtleCrypto extension; Node's implementation otherwise.
  const subtle: { timingSafeEqual?: (x: ArrayBufferView, y: ArrayBufferView) => boolean } | undefined =
    typeof crypto === "undefined" ? undefined : crypto.subtle;
  if (typeof subtle?.timingSafeEqual === "function") return subtle.timingSafeEqual(a, b);
  return nodeTimingSafeEqual(a, b);
}

function currentParams(): HashParams {
  const { m, t, p } = PASSWORD_HASH_PARAMS;
  return { algorithm: "argon2id", m, t, p };
}

/** Hashes a password with the current PASSWORD_HASH_PARAMS and a fresh random salt. */
export async function hashPassword(password: string): Promise<string> {
  const { m, t, p, keyLength, saltLength } = PASSWORD_HASH_PARAMS;
  const salt = randomBytes(saltLength);
  const key = await deriveKey(password, currentParams(), salt, keyLength);
  return `$argon2id$v=19$m=${m},t=${t},p=${p}$${b64(salt)}$${b64(key)}`;
}

function usesCurrentParams(h: ParsedHash): boolean {
  const cur = PASSWORD_HASH_PARAMS;
  return (
    h.algorithm === "argon2id" &&
    h.m === cur.m &&
    h.t === cur.t &&
    h.p === cur.p &&
    h.salt.length === cur.saltLength &&
    h.key.length === cur.keyLength
  );
}

/**
 * ok: matches; needsRehash: the stored string is scrypt, or Argon2id with parameters other than
 * PASSWORD_HASH_PARAMS (login re-hashes then). needsRehash describes the stored string only; callers
 * act on it when ok is true.
 *
 * Never throws. A stored value that cannot be parsed (malformed, another algorithm, parameters out of
 * bounds) verifies as false after the same dummy work as an unknown account, so a broken or empty
 * hash column does not answer faster than a real one.
 */
export async function verifyPassword(
  password: string,
  stored: string,
): Promise<{ ok: boolean; needsRehash: boolean }> {
  const parsed = parse(stored);
  if (!parsed) {
    await verifyAgainstDummy(password);
    return { ok: false, needsRehash: false };
  }
  let derived: Uint8Array;
  try {
    derived = await deriveKey(password, parsed, parsed.salt, parsed.key.length);
  } catch {
    return { ok: false, needsRehash: false };
  }
  return { ok: constantTimeEqual(derived, parsed.key), needsRehash: !usesCurrentParams(parsed) };
}

let dummyHash: ParsedHash | undefined;

/**
 * Does the same work as verifyPassword against a fixed dummy hash with current params, always false:
 * used when the account does not exist, so login costs the same either way.
 *
 * The dummy is a random salt and a random "key" with the current parameters, made once per isolate on
 * first use (randomness is not allowed at a Worker's global scope). No password derives that key, and
 * making it costs no hash, so every call is exactly one Argon2id at the current parameters.
 */
export async function verifyAgainstDummy(password: string): Promise<false> {
  const { keyLength, saltLength } = PASSWORD_HASH_PARAMS;
  dummyHash ??= { ...currentParams(), salt: randomBytes(saltLength), key: randomBytes(keyLength) };
  try {
    const derived = await deriveKey(password, dummyHash, dummyHash.salt, dummyHash.key.length);
    constantTimeEqual(derived, dummyHash.key);
  } catch {
    // Same contract as verifyPassword: never throw.
  }
  return false;
}
