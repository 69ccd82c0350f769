/**
 * Refusal of common passwords at registration / password change (NIST SP 800-63B §3.1.1.2: check new
 * passwords against values known to be commonly used or compromised).
 *
 * The list (`common-passwords.txt`, one lower-case password per line, most common first) is the
 * `passwords` dictionary of `@zxcvbn-ts/language-common@4.1.3` (MIT), decompressed and written out
 * keeping only the 17,950 entries of 8..128 characters (of 49,233 passwords seen more than 10 times in
 * Mark Burnett's (xato.net) 10 million password dump, minus those zxcvbn's pattern matchers guess
 * anyway): shorter ones are refused by the length rule before this list is consulted, so carrying
 * them would only grow the Worker bundle. See docs/password-hashing.md for the provenance, how to
 * regenerate it and why it is vendored rather than imported from the package.
 *
 * The text module is a plain string in the Worker bundle; it is split into a Set only at first use,
 * so isolates that never register anyone pay nothing beyond the module bytes.
 */
import list from "./common-passwords.txt";

let passwords: Set<string> | undefined;

function commonPasswords(): Set<string> {
  if (!passwords) {
    const set = new Set<string>();
    for (const line of list.split("\n")) {
      const word = line.trim();
      if (word) set.add(word);
    }
    passwords = set;
  }
  return passwords;
}

/** Lower-cased, NFKC-normalised form used for the lookup (the list itself is lower-case ASCII). */
function canonical(password: string): string {
  return password.normalize("NFKC").toLowerCase();
}

/**
 * One character repeated ("aaaaaaaa", "00000000") or a straight run of digits or letters, up or down
 * ("abcdefgh", "87654321"). zxcvbn drops such entries from its dictionary because its own pattern
 * matchers catch them, so the vendored list alone would miss them.
 */
function isTrivialPattern(password: string): boolean {
  if (password.length < 2) return true; // "" and single characters
  const codes = Array.from(password, (c) => c.codePointAt(0) ?? 0);
  const isDigitOrLetter = (c: number) => (c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x7a);
  const first = codes[0] ?? 0;
  if (codes.every((c) => c === first)) return true;
  if (!codes.every(isDigitOrLetter)) return false;
  const step = (codes[1] ?? 0) - first;
  if (step !== 1 && step !== -1) return false;
  for (let i = 1; i < codes.length; i++) {
    const prev = codes[i - 1] ?? 0;
    const cur = codes[i] ?? 0;
    // Digits and letters are not adjacent code points, so a run can never cross from one to the other.
    if (cur - prev !== step) return false;
  }
  return true;
}

/**
 * True when the password (compared case-insensitively, after NFKC normalisation) is in the common
 * password list, or is a single repeated character / a straight digit or letter sequence.
 */
export function isCommonPassword(password: string): boolean {
  const key = canonical(password);
  return commonPasswords().has(key) || isTrivialPattern(key);
}

/** Number of distinct passwords in the list (the trivial-pattern rule comes on top). */
export function commonPasswordCount(): number {
  return commonPasswords().size;
}
