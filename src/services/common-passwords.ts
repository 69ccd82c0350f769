/**
 * Refusal of common passwords at registration / password change (NIST SP 800-63B §3.1.1.2: check new
 * passwords against values known to be commonly used or compromised).
 *
 * The list (`public/internal/common-passwords.txt`, one lower-case password per line, most common
 * first) is the `passwords` dictionary of `@zxcvbn-ts/language-common@4.1.3` (MIT), decompressed and
 * written out keeping only the 17,950 entries of 8..128 characters. See docs/password-hashing.md for
 * the provenance and how to regenerate it.
 *
 * The list is a static asset of the assets-only Worker beside this one (static/wrangler.toml), not
 * part of the Worker bundle (it would add 84 KiB gzipped to every isolate's start-up). It is read
 * through the `STATIC` service binding on the first password check of an isolate, checked against
 * its SHA-256 (anything else, a 404 or an HTML fallback page, is refused rather than silently
 * weakening the check), split into a Set, and kept for the isolate's life. No route serves it: the
 * static Worker has no address of its own, and this Worker's docs routes serve only the docs' files.
 */
import { env } from "cloudflare:workers";
import { type CommonPasswordCheck, commonPasswordCheck } from "./password-policy.ts";

/** Path of the list among the static assets (`public/` in the repository). */
export const COMMON_PASSWORDS_ASSET = "/internal/common-passwords.txt";
/** SHA-256 (hex) of the list; docs/password-hashing.md says how it is regenerated. */
export const COMMON_PASSWORDS_SHA256 = "798f6256117027971edc571c1628d52081a43b835ed0169f9298a6f4be4bb67d";

/** Where the list is read from: the `STATIC` binding, or a stand-in in tests of the failure paths. */
export interface AssetSource {
  fetch(url: string): Promise<Response>;
}

/**
 * A loader of the check over the list in `assets`: read and verified once, shared by every caller; a
 * failed load is not kept, so the next call tries again.
 *
 * @example
 * const load = commonPasswordsFrom(env.STATIC);
 * const common = (await load()).isCommon("password123"); // true
 */
export function commonPasswordsFrom(assets: AssetSource): () => Promise<CommonPasswordCheck> {
  let loading: Promise<CommonPasswordCheck> | undefined;
  return () => {
    loading ??= readList(assets).catch((error: unknown) => {
      loading = undefined;
      throw error;
    });
    return loading;
  };
}

async function readList(assets: AssetSource): Promise<CommonPasswordCheck> {
  // The binding ignores the host; only the path names the asset.
  const res = await assets.fetch(`https://assets.invalid${COMMON_PASSWORDS_ASSET}`);
  if (!res.ok) throw new Error(`common-password list: the assets answered ${res.status}`);
  const bytes = await res.arrayBuffer();
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  const hex = Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
  if (hex !== COMMON_PASSWORDS_SHA256) throw new Error(`common-password list: unexpected SHA-256 ${hex}`);
  return commonPasswordCheck(new TextDecoder().decode(bytes));
}

/** This isolate's list, from the Worker's static assets. */
const loadCheck = commonPasswordsFrom({ fetch: (url) => env.STATIC.fetch(url) });

/**
 * True when the password (compared case-insensitively, after NFKC normalisation) is in the common
 * password list, or is a single repeated character / a straight digit or letter sequence. Rejects
 * (fails closed) when the list cannot be read.
 *
 * @example
 * if (await isCommonPassword(password)) throw new ApiError(422, ...);
 */
export async function isCommonPassword(password: string): Promise<boolean> {
  return (await loadCheck()).isCommon(password);
}

/** Number of distinct passwords in the list (the trivial-pattern rule comes on top). */
export async function commonPasswordCount(): Promise<number> {
  return (await loadCheck()).size();
}
