/**
 * Password hashing for registration and login: scrypt from `node:crypto` (the Worker runs with
 * `nodejs_compat`), stored as a self-describing PHC-style string
 *
 *   $scrypt$ln=14,r=8,p=5$<salt, base64 without padding>$<key, base64 without padding>
 *
 * Parameters and the reasons for them are in docs/password-hashing.md. In short: OWASP's scrypt
 * equivalent N=2^14, r=8, p=5 (the same work as N=2^17, r=8, p=1) keeps N·r·p = 2^19 within the
 * production limit of 2^20 and uses 128·N·r = 16 MiB of the isolate's 128 MB.
 */
import { Buffer } from "node:buffer";
import { timingSafeEqual as nodeTimingSafeEqual, randomBytes, scrypt } from "node:crypto";

export const PASSWORD_HASH_PARAMS: {
  /** log2 of the CPU/memory cost N. */
  ln: number;
  /** Block size. */
  r: number;
  /** Parallelisation. */
  p: number;
  /** Derived key length in bytes. */
  keyLength: number;
  /** Random salt length in bytes. */
  saltLength: number;
} = Object.freeze({ ln: 14, r: 8, p: 5, keyLength: 32, saltLength: 16 });

interface ScryptParams {
  ln: number;
  r: number;
  p: number;
}

interface ParsedHash extends ScryptParams {
  salt: Buffer;
  key: Buffer;
}

/**
 * Stored strings whose parameters exceed these are refused (verify as false) instead of being run:
 * the same production bounds the current parameters are chosen within, so a corrupted or hostile
 * row cannot make a login burn seconds of CPU or more memory than an isolate has.
 */
const MAX_COST = 2 ** 20; // N·r·p
const MAX_MEMORY = 32 * 1024 * 1024; // 128·N·r bytes
// Never shorter than what hashPassword has always written: a shorter value is a truncated (corrupt)
// string, and since scrypt's output for a shorter dkLen is a prefix of the longer one, it would match.
const SALT_BYTES = { min: 16, max: 64 };
const KEY_BYTES = { min: 32, max: 64 };

let computations = 0;

/** Number of scrypt computations this isolate has run (tests compare unknown-user vs wrong-password logins). */
export function hashComputationCount(): number {
  return computations;
}

/**
 * NFKC so that the same typed password gives the same bytes whatever the client's keyboard, IME or
 * OS produced: composed "é" (U+00E9) and "e" + U+0301, full-width and half-width forms, ligatures.
 * NIST SP 800-63B §5.1.1.2 asks for NFKC or NFD; NFKC also folds the compatibility forms.
 */
function passwordBytes(password: string): Buffer {
  return Buffer.from(password.normalize("NFKC"), "utf8");
}

function deriveKey(
  password: string,
  salt: Uint8Array,
  keyLength: number,
  params: ScryptParams,
): Promise<Buffer> {
  const N = 2 ** params.ln;
  // OpenSSL needs 128·r·(N+2) + 128·r·p bytes; twice 128·N·r leaves ample room for that overhead.
  const maxmem = 2 * 128 * N * params.r;
  computations++;
  return new Promise((resolve, reject) => {
    scrypt(passwordBytes(password), salt, keyLength, { N, r: params.r, p: params.p, maxmem }, (err, key) => {
      if (err) reject(err);
      else resolve(key);
    });
  });
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

function encode(params: ScryptParams, salt: Uint8Array, key: Uint8Array): string {
  return `$scrypt$ln=${params.ln},r=${params.r},p=${params.p}$${b64(salt)}$${b64(key)}`;
}

const PARAMS_FIELD = /^ln=([1-9]\d?),r=([1-9]\d{0,2}),p=([1-9]\d{0,2})$/;

/** Parses a stored hash; undefined for anything malformed, of another algorithm, or out of bounds. */
function parse(stored: unknown): ParsedHash | undefined {
  if (typeof stored !== "string" || stored.length > 512) return undefined;
  const parts = stored.split("$");
  if (parts.length !== 5 || parts[0] !== "" || parts[1] !== "scrypt") return undefined;
  const m = PARAMS_FIELD.exec(parts[2] ?? "");
  if (!m) return undefined;
  const ln = Number(m[1]);
  const r = Number(m[2]);
  const p = Number(m[3]);
  const N = 2 ** ln;
  if (N * r * p > MAX_COST || 128 * N * r > MAX_MEMORY) return undefined;
  const salt = unb64(parts[3] ?? "");
  const key = unb64(parts[4] ?? "");
  if (!salt || salt.length < SALT_BYTES.min || salt.length > SALT_BYTES.max) return undefined;
  if (!key || key.length < KEY_BYTES.min || key.length > KEY_BYTES.max) return undefined;
  return { ln, r, p, salt, key };
}

function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false;
  // workerd's non-standard SubtleCrypto extension; Node's implementation otherwise.
  const subtle: { timingSafeEqual?: (x: ArrayBufferView, y: ArrayBufferView) => boolean } | undefined =
    typeof crypto === "undefined" ? undefined : crypto.subtle;
  if (typeof subtle?.timingSafeEqual === "function") return subtle.timingSafeEqual(a, b);
  return nodeTimingSafeEqual(a, b);
}

/** Hashes a password with the current PASSWORD_HASH_PARAMS and a fresh random salt. */
export async function hashPassword(password: string): Promise<string> {
  const { keyLength, saltLength } = PASSWORD_HASH_PARAMS;
  const salt = randomBytes(saltLength);
  const key = await deriveKey(password, salt, keyLength, PASSWORD_HASH_PARAMS);
  return encode(PASSWORD_HASH_PARAMS, salt, key);
}

function usesCurrentParams(h: ParsedHash): boolean {
  const cur = PASSWORD_HASH_PARAMS;
  return (
    h.ln === cur.ln &&
    h.r === cur.r &&
    h.p === cur.p &&
    h.salt.length === cur.saltLength &&
    h.key.length === cur.keyLength
  );
}

/**
 * ok: matches; needsRehash: stored params differ from PASSWORD_HASH_PARAMS (login re-hashes then).
 * needsRehash describes the stored string only; callers act on it when ok is true.
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
  let derived: Buffer;
  try {
    derived = await deriveKey(password, parsed.salt, parsed.key.length, parsed);
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
 * making it costs no scrypt, so every call is exactly one scrypt at the current parameters.
 */
export async function verifyAgainstDummy(password: string): Promise<false> {
  const { keyLength, saltLength } = PASSWORD_HASH_PARAMS;
  dummyHash ??= {
    ...PASSWORD_HASH_PARAMS,
    salt: randomBytes(saltLength),
    key: randomBytes(keyLength),
  };
  try {
    const derived = await deriveKey(password, dummyHash.salt, dummyHash.key.length, dummyHash);
    constantTimeEqual(derived, dummyHash.key);
  } catch {
    // Same contract as verifyPassword: never throw.
  }
  return false;
}
