/**
 * The one router factory, used by the app and by every feature: validation failures become
 * 422 problems with `errors[]` (malformed JSON and wrong content types are 400, see problem.ts).
 * On protected routes the session gate is checked before any of them is answered (app.ts onError).
 */
import { OpenAPIHono } from "@hono/zod-openapi";
import type { ZodError } from "zod";
import { ApiError, type FieldError } from "./errors.ts";
import { MemoRouter } from "./memo-router.ts";
import { unstorableStrings } from "./postgres.ts";
import type { AppBindings } from "./types.ts";

export function zodFieldErrors(error: ZodError): FieldError[] {
  return error.issues.map((issue) => ({ path: issue.path.map(String).join("."), message: issue.message }));
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
    router: new MemoRouter(),
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
