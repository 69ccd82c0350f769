/**
 * The one router factory, used by the app and by every feature: validation failures become
 * 422 problems with `errors[]` (malformed JSON and wrong content types are 400, see problem.ts).
 * On protected routes the session gate is checked before any of them is answered (app.ts onError).
 */
import { OpenAPIHono } from "@hono/zod-openapi";
import type { ZodError } from "zod";
import { ApiError, type FieldError } from "./errors.ts";
import type { AppBindings } from "./types.ts";

export function zodFieldErrors(error: ZodError): FieldError[] {
  return error.issues.map((issue) => ({ path: issue.path.map(String).join("."), message: issue.message }));
}

/** U+0000, or a surrogate without its other half: no PostgreSQL text, JSON value or query holds them. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: NUL is exactly what this finds.
const UNSTORABLE = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const UNSTORABLE_MESSAGE = "Must not contain U+0000 (NUL) or an unpaired surrogate.";

/**
 * The paths of the strings in `value` (keys included) that hold a character PostgreSQL cannot
 * store. Valid JSON and valid form, query or header text can carry them, and a statement that got
 * one would fail in the database, so every validated body, query and header is checked here, once,
 * for every route. (Path ids are checked for their exact form before any use: a malformed one is 404.)
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

/**
 * True when a body validator ran on no body at all. Hono's json and form validators read nothing
 * without a Content-Type of theirs and validate `{}` instead; the router's media-type gate has
 * already refused a non-empty body without a Content-Type, and the validators of optional bodies
 * only run when one came, so this is a required body that was not sent.
 */
const bodyMissing = (target: string, contentType: string | undefined) =>
  (target === "json" || target === "form") && !contentType;

const invalid = (errors: FieldError[]) =>
  new ApiError(422, "validation_failed", { detail: "The request does not match the schema.", errors });

/** @example const router = createRouter().openapi(getMeRoute, getMe); */
export function createRouter() {
  return new OpenAPIHono<AppBindings>({
    strict: true,
    defaultHook: (result, c) => {
      if (bodyMissing(result.target, c.req.header("Content-Type")))
        throw invalid([{ path: "", message: "A request body is required." }]);
      if (!result.success) throw invalid(zodFieldErrors(result.error));
      if (result.target === "param") return;
      const unstorable = unstorableStrings(result.data);
      if (unstorable.length) throw invalid(unstorable);
    },
  });
}
