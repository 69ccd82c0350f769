/**
 * The one router factory, used by the app and by every feature: validation failures become
 * 422 problems with `errors[]` (malformed JSON and wrong content types are 400, see problem.ts).
 */
import { OpenAPIHono } from "@hono/zod-openapi";
import type { ZodError } from "zod";
import { isSessionLive } from "../services/sessions.ts";
import { ApiError, type FieldError, unauthorized } from "./errors.ts";
import type { AppBindings } from "./types.ts";

export function zodFieldErrors(error: ZodError): FieldError[] {
  return error.issues.map((issue) => ({ path: issue.path.map(String).join("."), message: issue.message }));
}

/** @example const router = createRouter().openapi(getMeRoute, getMe); */
export function createRouter() {
  return new OpenAPIHono<AppBindings>({
    strict: true,
    defaultHook: async (result, c) => {
      if (!result.success) {
        // A revoked session must see 401, not a validation error, even on routes that check the
        // session inside their own query (which a failed validation never reaches).
        const auth = c.get("auth");
        if (auth && !c.get("sessionChecked") && !(await isSessionLive(c.get("db"), auth)))
          throw unauthorized();
        throw new ApiError(422, "validation_failed", {
          detail: "The request does not match the schema.",
          errors: zodFieldErrors(result.error),
        });
      }
    },
  });
}
