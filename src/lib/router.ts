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

/** @example const router = createRouter().openapi(getMeRoute, getMe); */
export function createRouter() {
  return new OpenAPIHono<AppBindings>({
    strict: true,
    defaultHook: (result) => {
      if (!result.success) {
        throw new ApiError(422, "validation_failed", {
          detail: "The request does not match the schema.",
          errors: zodFieldErrors(result.error),
        });
      }
    },
  });
}
