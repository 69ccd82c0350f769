/**
 * Small facts about Postgres values and errors that several services need.
 */
import type { FieldError } from "./errors.ts";

/** True when `err` (or any error in its `cause` chain, as drizzle wraps driver errors) is a unique violation. */
export function isUniqueViolation(err: unknown): boolean {
  for (let e: unknown = err; e; e = (e as { cause?: unknown }).cause) {
    if ((e as { code?: string }).code === "23505") return true;
  }
  return false;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * True for a UUID in its canonical text form. Path ids are checked with it in code (not by the
 * schema), so a malformed id answers the same 404 as an unknown one instead of a 422.
 */
export const isUuid = (value: string): boolean => UUID.test(value);

/** U+0000, or a surrogate without its other half: no PostgreSQL text, JSON value or query holds them. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: NUL is exactly what this finds.
const UNSTORABLE = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const UNSTORABLE_MESSAGE = "Must not contain U+0000 (NUL) or an unpaired surrogate.";

/**
 * The paths of the strings in `value` (keys included) that hold a character PostgreSQL cannot
 * store. Valid JSON and valid form, query or header text can carry them, and a statement that got
 * one would fail in the database: the router checks every validated body, query and header with
 * this (lib/router.ts), and so does anything that reads a body itself (the Stripe webhook).
 */
export function unstorableStrings(value: unknown, path: string[] = []): FieldError[] {
  if (typeof value === "string")
    return UNSTORABLE.test(value) ? [{ path: path.join("."), message: UNSTORABLE_MESSAGE }] : [];
  if (typeof value !== "object" || value === null || value instanceof Blob) return [];
  return Object.entries(value).flatMap(([key, item]) => [
    ...(UNSTORABLE.test(key) ? [{ path: [...path, key].join("."), message: UNSTORABLE_MESSAGE }] : []),
    ...unstorableStrings(item, [...path, key]),
  ]);
}
