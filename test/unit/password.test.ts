import { Buffer } from "node:buffer";
import { randomBytes, scrypt } from "node:crypto";
import { describe, expect, it } from "vitest";
import { commonPasswordCount, isCommonPassword } from "../../src/services/common-passwords.ts";
import {
  hashComputationCount,
  hashPassword,
  PASSWORD_HASH_PARAMS,
  verifyAgainstDummy,
  verifyPassword,
} from "../../src/services/password.ts";

const PHC = /^\$scrypt\$ln=(\d+),r=(\d+),p=(\d+)\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)$/;

/** Independent scrypt (not through the service, so it does not move hashComputationCount). */
function rawScrypt(password: string, salt: Buffer, keyLength: number, ln: number, r: number, p: number) {
  return new Promise<Buffer>((resolve, reject) => {
    scrypt(
      Buffer.from(password.normalize("NFKC"), "utf8"),
      salt,
      keyLength,
      { N: 2 ** ln, r, p, maxmem: 64 * 1024 * 1024 },
      (err, key) => (err ? reject(err) : resolve(key)),
    );
  });
}

const b64 = (bytes: Buffer) => bytes.toString("base64").replace(/=+$/, "");

/** Builds a PHC string by hand with arbitrary parameters. */
async function handMadeHash(
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

describe("PASSWORD_HASH_PARAMS", () => {
  it("are pinned to OWASP's scrypt N=2^14, r=8, p=5 with a 16-byte salt and 32-byte key", () => {
    expect({ ...PASSWORD_HASH_PARAMS }).toEqual({ ln: 14, r: 8, p: 5, keyLength: 32, saltLength: 16 });
  });

  it("stay inside the production Workers limits", () => {
    const { ln, r, p } = PASSWORD_HASH_PARAMS;
    const N = 2 ** ln;
    // N·r·p <= 2^20 (production scrypt work limit)
    expect(N * r * p).toBe(655_360);
    expect(N * r * p).toBeLessThanOrEqual(2 ** 20);
    // memory 128·N·r: 16 MiB, well under the 128 MB isolate
    expect(128 * N * r).toBe(16 * 1024 * 1024);
    expect(128 * N * r).toBeLessThanOrEqual(32 * 1024 * 1024);
  });

  it("are one of OWASP's equivalent scrypt configurations (same work as N=2^17, r=8, p=1)", () => {
    const owaspEquivalents = [
      { ln: 17, r: 8, p: 1 },
      { ln: 16, r: 8, p: 2 },
      { ln: 15, r: 8, p: 3 },
      { ln: 14, r: 8, p: 5 },
      { ln: 13, r: 8, p: 10 },
    ];
    const { ln, r, p } = PASSWORD_HASH_PARAMS;
    expect(owaspEquivalents).toContainEqual({ ln, r, p });
    // Of those, the only ones within N·r·p <= 2^20 and 128·N·r <= 32 MiB:
    const fitting = owaspEquivalents.filter(
      (e) => 2 ** e.ln * e.r * e.p <= 2 ** 20 && 128 * 2 ** e.ln * e.r <= 32 * 1024 * 1024,
    );
    expect(fitting).toContainEqual({ ln, r, p });
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

  it("stores a PHC string $scrypt$ln=14,r=8,p=5$<salt>$<key> that is plain scrypt of the NFKC password", async () => {
    const stored = await hashPassword("hunter2-but-longer");
    const m = PHC.exec(stored);
    expect(m).not.toBeNull();
    const [, ln, r, p, salt64, key64] = m as RegExpExecArray;
    expect([Number(ln), Number(r), Number(p)]).toEqual([14, 8, 5]);
    expect(stored.split("$").slice(3).join("")).not.toContain("="); // no padding
    expect(salt64).toHaveLength(22); // 16 bytes, unpadded
    expect(key64).toHaveLength(43); // 32 bytes, unpadded
    const salt = Buffer.from(salt64 as string, "base64");
    const key = Buffer.from(key64 as string, "base64");
    expect(salt.length).toBe(16);
    expect(key.length).toBe(32);
    const expected = await rawScrypt("hunter2-but-longer", salt, 32, 14, 8, 5);
    expect(key.equals(expected)).toBe(true);
  });

  it("salts: two hashes of the same password differ and both verify", async () => {
    const a = await hashPassword("same password twice");
    const b = await hashPassword("same password twice");
    expect(a).not.toBe(b);
    expect(a.split("$")[3]).not.toBe(b.split("$")[3]);
    expect((await verifyPassword("same password twice", a)).ok).toBe(true);
    expect((await verifyPassword("same password twice", b)).ok).toBe(true);
  });

  it("verifies a hash made with older parameters and asks for a rehash", async () => {
    const old = await handMadeHash("legacy password", 13, 8, 1);
    expect(old.startsWith("$scrypt$ln=13,r=8,p=1$")).toBe(true);
    expect(await verifyPassword("legacy password", old)).toEqual({ ok: true, needsRehash: true });
    expect((await verifyPassword("legacy passw0rd", old)).ok).toBe(false);

    // Same N/r/p but a longer salt or key than today's also counts as "params differ".
    const longKey = await handMadeHash("legacy password", 14, 8, 5, 32, 64);
    expect(await verifyPassword("legacy password", longKey)).toEqual({ ok: true, needsRehash: true });

    // The rehash a login would store is current again.
    const fresh = await hashPassword("legacy password");
    expect(await verifyPassword("legacy password", fresh)).toEqual({ ok: true, needsRehash: false });
  });

  async function expectRefused(password: string, cases: unknown[]) {
    for (const stored of cases) {
      const before = hashComputationCount();
      const result = await verifyPassword(password, stored as string);
      expect(result, JSON.stringify(stored)).toEqual({ ok: false, needsRehash: false });
      // Same work as an unknown account: exactly one scrypt at the current parameters.
      expect(hashComputationCount() - before, JSON.stringify(stored)).toBe(1);
    }
  }

  it("treats malformed and foreign strings as a mismatch, never throwing, at one scrypt each", async () => {
    const good = await hashPassword("pw for malformed tests");
    const [, , params, salt, key] = good.split("$");
    await expectRefused("pw for malformed tests", [
      "",
      "not a hash",
      "$scrypt$",
      "$scrypt$ln=14,r=8,p=5$$",
      `$scrypt$ln=14,r=8,p=5$${salt}$`,
      `$scrypt$ln=14,r=8,p=5$${salt}`,
      `$scrypt$ln=14,r=8,p=5$${salt}$${key}$extra`,
      `scrypt$${params}$${salt}$${key}`,
      `$SCRYPT$${params}$${salt}$${key}`,
      `$argon2id$v=19$m=19456,t=2,p=1$${salt}$${key}`,
      `$pbkdf2-sha256$i=600000$${salt}$${key}`,
      `$scrypt$r=8,ln=14,p=5$${salt}$${key}`,
      `$scrypt$ln=14,r=8$${salt}$${key}`,
      `$scrypt$ln=0x0e,r=8,p=5$${salt}$${key}`,
      ` ${good}`,
      `${good}\n`,
      "$".repeat(10_000),
      null,
      undefined,
      42,
    ]);
    // The well-formed original still verifies.
    expect((await verifyPassword("pw for malformed tests", good)).ok).toBe(true);
  }, 60_000);

  it("refuses out-of-bounds parameters (never run) and bad or truncated base64", async () => {
    const good = await hashPassword("pw for malformed tests");
    const [, , , salt, key] = good.split("$");
    await expectRefused("pw for malformed tests", [
      `$scrypt$ln=14,r=8,p=-5$${salt}$${key}`,
      `$scrypt$ln=14,r=8,p=0$${salt}$${key}`,
      `$scrypt$ln=40,r=8,p=5$${salt}$${key}`, // far beyond the limits: refused, not run
      `$scrypt$ln=14,r=8,p=99$${salt}$${key}`, // N·r·p > 2^20
      `$scrypt$ln=17,r=16,p=1$${salt}$${key}`, // 128·N·r > 32 MiB
      `$scrypt$ln=14,r=8,p=5$${salt}==$${key}`, // padding
      `$scrypt$ln=14,r=8,p=5$${salt}$${key}=`,
      `$scrypt$ln=14,r=8,p=5$${salt}$${key?.slice(0, -1)}`, // truncated by one character
      `$scrypt$ln=14,r=8,p=5$${salt}$${key?.slice(0, -2)}`, // 41 characters: not a base64 length
      // A cleanly truncated 31-byte key: scrypt's shorter output is a prefix of the longer one, so
      // only the minimum key length keeps this from matching.
      `$scrypt$ln=14,r=8,p=5$${salt}$${b64(Buffer.from(key as string, "base64").subarray(0, 31))}`,
      `$scrypt$ln=14,r=8,p=5$${salt?.slice(0, -1)}$${key}`,
      `$scrypt$ln=14,r=8,p=5$${salt}$${key?.replace(/.$/, "!")}`, // not base64
      `$scrypt$ln=14,r=8,p=5$${salt}$${key?.slice(0, -2)}-_`, // base64url alphabet
      `$scrypt$ln=14,r=8,p=5$AAAA$${key}`, // 3-byte salt
      `$scrypt$ln=14,r=8,p=5$${salt}$AAAA`, // 3-byte key
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
});

describe("equal work for unknown users", () => {
  it("runs where workerd's crypto.subtle.timingSafeEqual is available (used for the comparison)", () => {
    const subtle = crypto.subtle as { timingSafeEqual?: unknown };
    expect(typeof subtle.timingSafeEqual).toBe("function");
  });

  it("verifyAgainstDummy is always false and costs exactly one scrypt, like one verifyPassword", async () => {
    // First call in this isolate included: the dummy hash is made without any scrypt.
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
    for (const guess of ["", "password", "dummy", "$scrypt$", "\u0000"]) {
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
