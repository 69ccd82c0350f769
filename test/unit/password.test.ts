import { Buffer } from "node:buffer";
import { randomBytes, scrypt } from "node:crypto";
import { argon2id as nobleArgon2id } from "@noble/hashes/argon2.js";
import { describe, expect, it } from "vitest";
import { commonPasswordCount, isCommonPassword } from "../../src/services/common-passwords.ts";
import {
  hashComputationCount,
  hashPassword,
  PASSWORD_HASH_PARAMS,
  verifyAgainstDummy,
  verifyPassword,
} from "../../src/services/password.ts";

const PHC = /^\$argon2id\$v=19\$m=(\d+),t=(\d+),p=(\d+)\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)$/;

const utf8 = (password: string) => Buffer.from(password.normalize("NFKC"), "utf8");

/**
 * Independent Argon2id: @noble/hashes, pure JavaScript, not the WebAssembly build the service uses
 * (and not through the service, so it does not move hashComputationCount).
 */
function rawArgon2id(password: string, salt: Uint8Array, keyLength: number, m: number, t: number, p: number) {
  return Buffer.from(nobleArgon2id(utf8(password), salt, { m, t, p, dkLen: keyLength }));
}

/** Independent scrypt, for the strings stored before Argon2id. */
function rawScrypt(password: string, salt: Buffer, keyLength: number, ln: number, r: number, p: number) {
  return new Promise<Buffer>((resolve, reject) => {
    scrypt(utf8(password), salt, keyLength, { N: 2 ** ln, r, p, maxmem: 64 * 1024 * 1024 }, (err, key) =>
      err ? reject(err) : resolve(key),
    );
  });
}

const b64 = (bytes: Buffer) => bytes.toString("base64").replace(/=+$/, "");

/** Builds an Argon2id PHC string by hand with arbitrary parameters. */
function handMadeArgon2id(
  password: string,
  m: number,
  t: number,
  p: number,
  saltLength = 16,
  keyLength = 32,
) {
  const salt = randomBytes(saltLength);
  const key = rawArgon2id(password, salt, keyLength, m, t, p);
  return `$argon2id$v=19$m=${m},t=${t},p=${p}$${b64(salt)}$${b64(key)}`;
}

/** Builds a scrypt PHC string by hand, as hashPassword wrote them before Argon2id. */
async function handMadeScrypt(
  password: string,
  ln: number,
  r: number,
  p: number,
  saltLength = 16,
  keyLength = 32,
) {
  const salt = randomBytes(saltLength);
  const key = await rawScrypt(password, salt, keyLength, ln, r, p);
  return `$scrypt$ln=${ln},r=${r},p=${p}$${b64(salt)}$${b64(key)}`;
}

/** OWASP Password Storage Cheat Sheet: Argon2id configurations of equal strength (m in KiB). */
const OWASP_ARGON2ID = [
  { m: 47104, t: 1, p: 1 },
  { m: 19456, t: 2, p: 1 },
  { m: 12288, t: 3, p: 1 },
  { m: 9216, t: 4, p: 1 },
  { m: 7168, t: 5, p: 1 },
];

describe("PASSWORD_HASH_PARAMS", () => {
  it("are pinned to OWASP's Argon2id m=7168 KiB, t=5, p=1 with a 16-byte salt and 32-byte key", () => {
    expect({ ...PASSWORD_HASH_PARAMS }).toEqual({ m: 7168, t: 5, p: 1, keyLength: 32, saltLength: 16 });
  });

  it("are one of OWASP's equivalent Argon2id configurations", () => {
    const { m, t, p } = PASSWORD_HASH_PARAMS;
    expect(OWASP_ARGON2ID).toContainEqual({ m, t, p });
  });

  it("stay inside the isolate's memory and the bounds verification enforces on stored strings", () => {
    const { m, t } = PASSWORD_HASH_PARAMS;
    // 7 MiB of Argon2 memory (inside the WebAssembly memory's initial 16 MiB), against an isolate
    // of 128 MB.
    expect(m * 1024).toBe(7 * 1024 * 1024);
    expect(m).toBeLessThanOrEqual(32 * 1024); // stored strings above 32 MiB are refused
    expect(m * t).toBeLessThanOrEqual(2 ** 17); // and above 2^17 KiB-passes of work
  });
});

describe("hashPassword / verifyPassword", () => {
  it("round-trips and refuses a wrong password", async () => {
    const stored = await hashPassword("correct horse battery staple");
    expect(await verifyPassword("correct horse battery staple", stored)).toEqual({
      ok: true,
      needsRehash: false,
    });
    expect(await verifyPassword("correct horse battery stapler", stored)).toEqual({
      ok: false,
      needsRehash: false,
    });
    expect((await verifyPassword("", stored)).ok).toBe(false);
    expect((await verifyPassword("Correct horse battery staple", stored)).ok).toBe(false);
  });

  it("stores a PHC string $argon2id$v=19$m=7168,t=5,p=1$<salt>$<key> that is plain Argon2id of the NFKC password", async () => {
    // Non-ASCII on purpose: every byte of the UTF-8 password must reach Argon2, not just as many
    // bytes as the string has UTF-16 code units.
    for (const password of ["hunter2-but-longer", "пароль-мой-длинный", "密码是一只猫🐈‍⬛"]) {
      const stored = await hashPassword(password);
      const m = PHC.exec(stored);
      expect(m, stored).not.toBeNull();
      const [, mem, t, p, salt64, key64] = m as RegExpExecArray;
      expect([Number(mem), Number(t), Number(p)]).toEqual([7168, 5, 1]);
      expect(stored.split("$").slice(4).join("")).not.toContain("="); // no padding
      expect(salt64).toHaveLength(22); // 16 bytes, unpadded
      expect(key64).toHaveLength(43); // 32 bytes, unpadded
      const salt = Buffer.from(salt64 as string, "base64");
      const key = Buffer.from(key64 as string, "base64");
      expect(salt.length).toBe(16);
      expect(key.length).toBe(32);
      const expected = rawArgon2id(password, salt, 32, 7168, 5, 1);
      expect(key.equals(expected), password).toBe(true);
    }
  }, 60_000);

  it("salts: two hashes of the same password differ and both verify", async () => {
    const a = await hashPassword("same password twice");
    const b = await hashPassword("same password twice");
    expect(a).not.toBe(b);
    expect(a.split("$")[4]).not.toBe(b.split("$")[4]);
    expect((await verifyPassword("same password twice", a)).ok).toBe(true);
    expect((await verifyPassword("same password twice", b)).ok).toBe(true);
  });

  it("verifies the scrypt strings stored before Argon2id and asks for a rehash", async () => {
    // What hashPassword wrote until Argon2id, and an older, weaker scrypt.
    for (const [ln, r, p] of [
      [14, 8, 5],
      [13, 8, 1],
    ] as const) {
      const old = await handMadeScrypt("legacy password", ln, r, p);
      expect(old.startsWith(`$scrypt$ln=${ln},r=${r},p=${p}$`)).toBe(true);
      expect(await verifyPassword("legacy password", old)).toEqual({ ok: true, needsRehash: true });
      expect(await verifyPassword("legacy passw0rd", old)).toEqual({ ok: false, needsRehash: true });
    }
    // Non-ASCII through the scrypt path too (NFKC, UTF-8).
    const accented = await handMadeScrypt("caf\u00e9-cr\u00e8me-2024", 14, 8, 5);
    expect((await verifyPassword("cafe\u0301-cre\u0300me-2024", accented)).ok).toBe(true);

    // The rehash a login stores is current.
    const fresh = await hashPassword("legacy password");
    expect(fresh).toMatch(/^\$argon2id\$v=19\$m=7168,t=5,p=1\$/);
    expect(await verifyPassword("legacy password", fresh)).toEqual({ ok: true, needsRehash: false });
  }, 60_000);

  it("verifies Argon2id strings with other parameters and asks for a rehash", async () => {
    // OWASP's first-choice row, equivalent in strength but not today's.
    const other = handMadeArgon2id("older argon2 password", 19456, 2, 1);
    expect(await verifyPassword("older argon2 password", other)).toEqual({ ok: true, needsRehash: true });
    expect((await verifyPassword("older argon2 passw0rd", other)).ok).toBe(false);

    // Two lanes (computed one after the other: the build has no threads).
    const lanes = handMadeArgon2id("older argon2 password", 1024, 2, 2);
    expect(await verifyPassword("older argon2 password", lanes)).toEqual({ ok: true, needsRehash: true });

    // Today's m, t, p but a longer salt or key also counts as "params differ".
    const longKey = handMadeArgon2id("older argon2 password", 7168, 5, 1, 32, 64);
    expect(await verifyPassword("older argon2 password", longKey)).toEqual({ ok: true, needsRehash: true });

    // A hand-made string with today's parameters is current (the format is plain PHC Argon2id).
    const current = handMadeArgon2id("older argon2 password", 7168, 5, 1);
    expect(await verifyPassword("older argon2 password", current)).toEqual({ ok: true, needsRehash: false });
  }, 60_000);

  async function expectRefused(password: string, cases: unknown[]) {
    for (const stored of cases) {
      const before = hashComputationCount();
      const result = await verifyPassword(password, stored as string);
      expect(result, JSON.stringify(stored)).toEqual({ ok: false, needsRehash: false });
      // Same work as an unknown account: exactly one hash at the current parameters.
      expect(hashComputationCount() - before, JSON.stringify(stored)).toBe(1);
    }
  }

  it("treats malformed and foreign strings as a mismatch, never throwing, at one hash each", async () => {
    const good = await hashPassword("pw for malformed tests");
    const [, , version, params, salt, key] = good.split("$");
    const scryptGood = await handMadeScrypt("pw for malformed tests", 14, 8, 5);
    const [, , scryptParams, scryptSalt, scryptKey] = scryptGood.split("$");
    await expectRefused("pw for malformed tests", [
      "",
      "not a hash",
      "$argon2id$",
      `$argon2id$v=19$${params}$$`,
      `$argon2id$v=19$${params}$${salt}$`,
      `$argon2id$v=19$${params}$${salt}`,
      `$argon2id$v=19$${params}$${salt}$${key}$extra`,
      `$argon2id$${params}$${salt}$${key}`, // no version
      `$argon2id$v=16$${params}$${salt}$${key}`, // Argon2 1.0
      `$argon2id$v=019$${params}$${salt}$${key}`,
      `argon2id$${version}$${params}$${salt}$${key}`,
      `$ARGON2ID$${version}$${params}$${salt}$${key}`,
      `$argon2i$${version}$${params}$${salt}$${key}`,
      `$argon2d$${version}$${params}$${salt}$${key}`,
      `$argon2id$${version}$t=5,m=7168,p=1$${salt}$${key}`, // order
      `$argon2id$${version}$m=7168,t=5$${salt}$${key}`,
      `$argon2id$${version}$${params},keyid=x$${salt}$${key}`,
      `$argon2id$${version}$m=0x1c00,t=5,p=1$${salt}$${key}`,
      `$scrypt$${scryptParams}$${scryptSalt}$${scryptKey}$extra`,
      `$SCRYPT$${scryptParams}$${scryptSalt}$${scryptKey}`,
      `$scrypt$r=8,ln=14,p=5$${scryptSalt}$${scryptKey}`,
      `$scrypt$ln=0x0e,r=8,p=5$${scryptSalt}$${scryptKey}`,
      `$pbkdf2-sha256$i=600000$${salt}$${key}`,
      ` ${good}`,
      `${good}\n`,
      "$".repeat(10_000),
      null,
      undefined,
      42,
    ]);
    // The well-formed originals still verify.
    expect((await verifyPassword("pw for malformed tests", good)).ok).toBe(true);
    expect((await verifyPassword("pw for malformed tests", scryptGood)).ok).toBe(true);
  }, 60_000);

  it("refuses out-of-bounds parameters (never run) and bad or truncated base64", async () => {
    const good = await hashPassword("pw for malformed tests");
    const [, , , params, salt, key] = good.split("$");
    const scryptGood = await handMadeScrypt("pw for malformed tests", 14, 8, 5);
    const [, , , sSalt, sKey] = scryptGood.split("$");
    await expectRefused("pw for malformed tests", [
      `$argon2id$v=19$m=19456,t=2,p=0$${salt}$${key}`,
      `$argon2id$v=19$m=19456,t=0,p=1$${salt}$${key}`,
      `$argon2id$v=19$m=0,t=2,p=1$${salt}$${key}`,
      `$argon2id$v=19$m=19456,t=-2,p=1$${salt}$${key}`,
      `$argon2id$v=19$m=4194304,t=2,p=1$${salt}$${key}`, // 4 GiB: far beyond the isolate
      `$argon2id$v=19$m=47104,t=1,p=1$${salt}$${key}`, // 46 MiB > 32 MiB, though an OWASP row
      `$argon2id$v=19$m=19456,t=7,p=1$${salt}$${key}`, // m·t > 2^17
      `$argon2id$v=19$m=8,t=9999999,p=1$${salt}$${key}`, // m·t > 2^17, tiny memory
      `$argon2id$v=19$m=19456,t=2,p=17$${salt}$${key}`, // more than 16 lanes
      `$argon2id$v=19$m=64,t=2,p=16$${salt}$${key}`, // under Argon2's 8 KiB per lane
      `$argon2id$v=19$${params}$${salt}==$${key}`, // padding
      `$argon2id$v=19$${params}$${salt}$${key}=`,
      `$argon2id$v=19$${params}$${salt}$${key?.slice(0, -1)}`, // truncated by one character
      `$argon2id$v=19$${params}$${salt}$${key?.slice(0, -2)}`, // 41 characters
      `$argon2id$v=19$${params}$${salt}$${b64(Buffer.from(key as string, "base64").subarray(0, 31))}`,
      `$argon2id$v=19$${params}$${salt?.slice(0, -1)}$${key}`,
      `$argon2id$v=19$${params}$${salt}$${key?.replace(/.$/, "!")}`, // not base64
      `$argon2id$v=19$${params}$${salt}$${key?.slice(0, -2)}-_`, // base64url alphabet
      `$argon2id$v=19$${params}$AAAA$${key}`, // 3-byte salt
      `$argon2id$v=19$${params}$${salt}$AAAA`, // 3-byte key
      `$scrypt$ln=14,r=8,p=-5$${sSalt}$${sKey}`,
      `$scrypt$ln=14,r=8,p=0$${sSalt}$${sKey}`,
      `$scrypt$ln=40,r=8,p=5$${sSalt}$${sKey}`, // far beyond the limits: refused, not run
      `$scrypt$ln=14,r=8,p=99$${sSalt}$${sKey}`, // N·r·p > 2^20
      `$scrypt$ln=17,r=16,p=1$${sSalt}$${sKey}`, // 128·N·r > 32 MiB
      `$scrypt$ln=14,r=8,p=5$${sSalt}==$${sKey}`, // padding
      `$scrypt$ln=14,r=8,p=5$${sSalt}$${sKey?.slice(0, -1)}`,
      // A cleanly truncated 31-byte key: scrypt's shorter output is a prefix of the longer one, so
      // only the minimum key length keeps this from matching.
      `$scrypt$ln=14,r=8,p=5$${sSalt}$${b64(Buffer.from(sKey as string, "base64").subarray(0, 31))}`,
      `$scrypt$ln=14,r=8,p=5$AAAA$${sKey}`, // 3-byte salt
    ]);
    expect((await verifyPassword("pw for malformed tests", good)).ok).toBe(true);
  }, 60_000);

  it("normalises with NFKC: composed and decomposed forms of the same password match", async () => {
    const composed = "caf\u00e9-cr\u00e8me-br\u00fbl\u00e9e";
    const decomposed = "cafe\u0301-cre\u0300me-bru\u0302le\u0301e";
    expect(composed).not.toBe(decomposed);
    expect(composed.normalize("NFKC")).toBe(decomposed.normalize("NFKC"));

    const stored = await hashPassword(composed);
    expect((await verifyPassword(decomposed, stored)).ok).toBe(true);
    const storedFromDecomposed = await hashPassword(decomposed);
    expect((await verifyPassword(composed, storedFromDecomposed)).ok).toBe(true);

    // Compatibility forms too: full-width letters and the "ﬁ" ligature.
    const fullWidth = await hashPassword("\uff50\uff41\uff53\uff53-\ufb01ne-2024");
    expect((await verifyPassword("pass-fine-2024", fullWidth)).ok).toBe(true);
    // ...but NFKC does not fold case.
    expect((await verifyPassword("PASS-FINE-2024", fullWidth)).ok).toBe(false);
  });

  it("tells apart non-ASCII passwords that share their first bytes", async () => {
    // Same UTF-16 length, same first 8 UTF-8 bytes: if only as many bytes as code units were hashed,
    // these two would collide.
    const stored = await hashPassword("пароль-1");
    expect((await verifyPassword("пароль-1", stored)).ok).toBe(true);
    expect((await verifyPassword("паролю-1", stored)).ok).toBe(false);
    expect((await verifyPassword("пароXXXX", stored)).ok).toBe(false);
  });
});

describe("equal work for unknown users", () => {
  it("runs where workerd's crypto.subtle.timingSafeEqual is available (used for the comparison)", () => {
    const subtle = crypto.subtle as { timingSafeEqual?: unknown };
    expect(typeof subtle.timingSafeEqual).toBe("function");
  });

  it("verifyAgainstDummy is always false and costs exactly one hash, like one verifyPassword", async () => {
    // First call in this isolate included: the dummy hash is made without any hashing.
    let before = hashComputationCount();
    await expect(verifyAgainstDummy("whatever")).resolves.toBe(false);
    const dummyCost = hashComputationCount() - before;
    expect(dummyCost).toBe(1);

    before = hashComputationCount();
    await expect(verifyAgainstDummy("another guess")).resolves.toBe(false);
    expect(hashComputationCount() - before).toBe(1);

    const stored = await hashPassword("the real password");
    before = hashComputationCount();
    const wrong = await verifyPassword("a wrong password", stored);
    const verifyCost = hashComputationCount() - before;
    expect(wrong.ok).toBe(false);
    expect(verifyCost).toBe(1);
    expect(dummyCost).toBe(verifyCost);

    before = hashComputationCount();
    await hashPassword("x");
    expect(hashComputationCount() - before).toBe(1);
  });

  it("the dummy does not accept the empty password or any obvious value", async () => {
    for (const guess of ["", "password", "dummy", "$argon2id$", "\u0000"]) {
      await expect(verifyAgainstDummy(guess)).resolves.toBe(false);
    }
  });
});

describe("isCommonPassword", () => {
  it("ships at least 10,000 common passwords", async () => {
    expect(await commonPasswordCount()).toBeGreaterThanOrEqual(10_000);
  });

  it("refuses well-known passwords, case-insensitively", async () => {
    for (const pw of [
      "password",
      "123456789",
      "Qwerty123",
      "PASSWORD",
      "iloveyou",
      "sunshine1",
      "1q2w3e4r",
      "zaq12wsx",
      "P@ssw0rd",
      "Welcome1",
      "trustno1",
      "baseball",
      "Football",
    ]) {
      expect(await isCommonPassword(pw), pw).toBe(true);
    }
  });

  it("normalises with NFKC before the lookup (full-width 'password')", async () => {
    expect(await isCommonPassword("\uff50\uff41\uff53\uff53\uff57\uff4f\uff52\uff44")).toBe(true);
  });

  it("refuses repeated characters and straight sequences the zxcvbn list leaves out", async () => {
    for (const pw of [
      "aaaaaaaa",
      "00000000",
      "ZZZZZZZZZZ",
      "abcdefgh",
      "87654321",
      "0123456789",
      "zyxwvuts",
    ]) {
      expect(await isCommonPassword(pw), pw).toBe(true);
    }
    for (const pw of ["abcdefgi", "24681357x", "abc12345xyz"]) {
      expect(await isCommonPassword(pw), pw).toBe(false);
    }
  });

  it("holds only what the 8..128 length rule does not already refuse", async () => {
    // "letmein" and "dragon" are common but shorter than 8: the length rule refuses them first, so
    // the list does not carry them (keeping the Worker bundle small).
    expect(await isCommonPassword("letmein")).toBe(false);
    expect(await isCommonPassword("dragon")).toBe(false);
    expect(await isCommonPassword("letmein1")).toBe(true);
  });

  it("accepts a random long password", async () => {
    const random = `${crypto.randomUUID()}-${b64(randomBytes(12))}`;
    expect(await isCommonPassword(random)).toBe(false);
    expect(await isCommonPassword("violet-otter-grammar-87-kiln")).toBe(false);
  });
});
