/**
 * The rules a new password must meet (NIST SP 800-63B §3.1.1.2): 8..128 characters, no composition
 * rules, and not a commonly used one. Pure and free of the Worker's module types (the list arrives as
 * text), so the admin CLI applies exactly what registration applies without bundling anything.
 */

/** Fewest characters (UTF-16 code units, as zod's `.min` counts) a new password may have. */
export const PASSWORD_MIN_LENGTH = 8;
/** Most characters a new password may have (bounds the hashing work, allows long passphrases). */
export const PASSWORD_MAX_LENGTH = 128;
/** What a refused common password is told. */
export const COMMON_PASSWORD_MESSAGE = "This password is too common; choose another";

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

/** A common-password check over a list (one lower-case password per line). */
export interface CommonPasswordCheck {
  /**
   * True when the password (compared case-insensitively, after NFKC normalisation) is in the list,
   * or is a single repeated character / a straight digit or letter sequence.
   */
  isCommon(password: string): boolean;
  /** Number of distinct passwords in the list (the trivial-pattern rule comes on top). */
  size(): number;
}

/** Builds the check; the list is split into a Set only at first use. */
export function commonPasswordCheck(list: string): CommonPasswordCheck {
  let passwords: Set<string> | undefined;
  const set = () => {
    if (!passwords) {
      passwords = new Set<string>();
      for (const line of list.split("\n")) {
        const word = line.trim();
        if (word) passwords.add(word);
      }
    }
    return passwords;
  };
  return {
    isCommon(password) {
      const key = canonical(password);
      return set().has(key) || isTrivialPattern(key);
    },
    size: () => set().size,
  };
}

/** Why `password` may not become a password, or undefined when it may (the registration rules). */
export function newPasswordProblem(password: string, check: CommonPasswordCheck): string | undefined {
  if (password.length < PASSWORD_MIN_LENGTH) return `must be at least ${PASSWORD_MIN_LENGTH} characters`;
  if (password.length > PASSWORD_MAX_LENGTH) return `must be at most ${PASSWORD_MAX_LENGTH} characters`;
  if (check.isCommon(password)) return COMMON_PASSWORD_MESSAGE;
  return undefined;
}
