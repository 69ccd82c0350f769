/**
 * Small facts about Postgres values and errors that several services need.
 */

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
