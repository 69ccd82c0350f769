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
import { commonPasswordCheck } from "./password-policy.ts";

// The matching rules live in password-policy.ts, which the admin CLI (in Node, where a .txt module
// cannot be imported) uses with the same list read from disk.
const check = commonPasswordCheck(list);

/**
 * True when the password (compared case-insensitively, after NFKC normalisation) is in the common
 * password list, or is a single repeated character / a straight digit or letter sequence.
 */
export function isCommonPassword(password: string): boolean {
  return check.isCommon(password);
}

/** Number of distinct passwords in the list (the trivial-pattern rule comes on top). */
export function commonPasswordCount(): number {
  return check.size();
}
