/**
 * What an unexpected error may say in a log line: its name, the Postgres SQLSTATE and the names of
 * the objects involved, and a message that cannot carry query parameters.
 *
 * drizzle wraps driver errors as `DrizzleQueryError`, whose message (and so its stack) is the whole
 * query *with its parameters* (e-mails, password hashes); the driver's error carries a `detail` that
 * quotes row values ("Key (email)=(a@b.c) already exists"), the query, and PL/pgSQL context. None of
 * that is logged: for database errors only the driver's primary message, with quoted values masked,
 * and no stack. Other errors keep their message and their stack frames (the "at ..." lines only, since
 * the first lines of a stack repeat the message).
 */
import { DrizzleQueryError } from "drizzle-orm";

/** A loggable description of an error (see describeError). */
export interface ErrorSummary {
  name: string;
  message: string;
  /** Postgres SQLSTATE, e.g. `23505`, `P0001`. */
  code?: string;
  severity?: string;
  constraint?: string;
  table?: string;
  column?: string;
  /** Stack frames of a non-database error, without the message lines. */
  frames?: string[];
  /** The described `cause` of a non-database error. */
  cause?: ErrorSummary;
}

const MAX_DEPTH = 8;
const MAX_MESSAGE = 300;
const MAX_FRAMES = 12;
const SQLSTATE = /^[0-9A-Z]{5}$/;
// Postgres quotes identifiers and values alike; an identifier-like word is kept, anything else masked.
const QUOTED = /"([^"]*)"/g;
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_$]{0,62}$/;

type ErrorLike = Error & Record<string, unknown>;

const nameOf = (err: Error): string =>
  // DrizzleQueryError does not set `name`, so its class name is the useful one.
  err.name && err.name !== "Error" ? err.name : err.constructor?.name || "Error";
const clip = (text: string) => (text.length > MAX_MESSAGE ? `${text.slice(0, MAX_MESSAGE)}…` : text);
const stringField = (err: ErrorLike, key: string) =>
  typeof err[key] === "string" && err[key] !== "" ? { [key]: err[key] as string } : {};

/** The causes of `err`, outermost first (cycle- and depth-safe). */
function causeChain(err: unknown): unknown[] {
  const chain: unknown[] = [];
  for (let e = err; e !== undefined && e !== null && chain.length < MAX_DEPTH; ) {
    if (chain.includes(e)) break;
    chain.push(e);
    e = e instanceof Error ? e.cause : undefined;
  }
  return chain;
}

/** A database message with quoted values masked (`invalid input syntax for type uuid: "a@b.c"`). */
function maskValues(message: string): string {
  const firstLine = message.split("\n", 1)[0] ?? "";
  return clip(
    firstLine.replace(QUOTED, (quoted, inner: string) => (IDENTIFIER.test(inner) ? quoted : '"…"')),
  );
}

/**
 * Describes `err` for a log line without anything a query or a row could have put into it.
 *
 * @example
 * logger.error("unhandled error", { error: describeError(err) });
 * // {"error":{"name":"NeonDbError","code":"23505","constraint":"users_email_unique","table":"users",
 * //  "message":"duplicate key value violates unique constraint \"users_email_unique\""}}
 */
export function describeError(err: unknown): ErrorSummary {
  return describe(err, 0);
}

function describe(err: unknown, depth: number): ErrorSummary {
  const chain = causeChain(err);
  const database = chain.find(
    (e): e is ErrorLike => e instanceof Error && SQLSTATE.test(String((e as ErrorLike).code ?? "")),
  );
  if (database) {
    return {
      name: nameOf(database),
      code: database.code as string,
      ...stringField(database, "severity"),
      ...stringField(database, "constraint"),
      ...stringField(database, "table"),
      ...stringField(database, "column"),
      message: maskValues(database.message),
    };
  }
  const queryIndex = chain.findIndex((e) => e instanceof DrizzleQueryError);
  if (queryIndex >= 0) {
    // A failed query without a SQLSTATE (e.g. the connection failed): what failed underneath, if known.
    const below = chain[queryIndex + 1];
    return below instanceof Error
      ? { name: nameOf(below), message: maskValues(below.message) }
      : { name: "DrizzleQueryError", message: "query failed" };
  }
  if (!(err instanceof Error)) return { name: typeof err, message: clip(String(err)) };
  const frames = (err.stack ?? "")
    .split("\n")
    .filter((line) => /^\s+at /.test(line))
    .slice(0, MAX_FRAMES)
    .map((line) => line.trim());
  return {
    name: nameOf(err),
    message: clip(err.message),
    ...(frames.length > 0 ? { frames } : {}),
    ...(err.cause !== undefined && depth < MAX_DEPTH ? { cause: describe(err.cause, depth + 1) } : {}),
  };
}
