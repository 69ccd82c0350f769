import type { z } from "@hono/zod-openapi";
import type { Config } from "../../env.ts";
import { clientInfo } from "../../lib/client-info.ts";
import { ApiError } from "../../lib/errors.ts";
import { zodFieldErrors } from "../../lib/router.ts";
import type { AppRouteHandler } from "../../lib/types.ts";
import { countAfterDecision, enforceRateLimit } from "../../middleware/rate-limit.ts";
import { count } from "../../services/metrics/index.ts";
import { enqueueEmail } from "../../services/outbox.ts";
import { publicJwks } from "../../services/tokens.ts";
import { toUser } from "../users/users.schemas.ts";
import type {
  ChangePasswordRoute,
  JwksRoute,
  LoginRoute,
  LogoutAllRoute,
  LogoutRoute,
  PasswordResetConfirmRoute,
  PasswordResetRequestRoute,
  RefreshRoute,
  RegisterRoute,
  ResendVerificationRoute,
  VerifyEmailLinkRoute,
  VerifyEmailRoute,
} from "./auth.routes.ts";
import { type JwksSchema, LoginBody } from "./auth.schemas.ts";
import * as auth from "./auth.service.ts";
import * as emailFlows from "./email-flows.service.ts";

export const register: AppRouteHandler<RegisterRoute> = async (c) => {
  const body = c.req.valid("json");
  const { user, emailId } = await auth.registerUser(c.get("db"), c.get("config"), {
    username: body.username,
    email: body.email,
    password: body.password,
    fullName: body.full_name ?? null,
  });
  c.executionCtx.waitUntil(enqueueEmail(c.env.JOBS_QUEUE, emailId, c.get("logger")));
  return c.json(toUser(user, c.get("config").APP_URL), 201);
};

/** Counts a login by outcome: success, failure (401), throttled (429) or error. */
async function countOutcome<T>(config: Config, attempt: Promise<T>): Promise<T> {
  try {
    const result = await attempt;
    count(config, "logins_total", { outcome: "success" });
    return result;
  } catch (err) {
    const status = err instanceof ApiError ? err.status : 500;
    count(config, "logins_total", {
      outcome: status === 401 ? "failure" : status === 429 ? "throttled" : "error",
    });
    throw err;
  }
}

export const login: AppRouteHandler<LoginRoute> = async (c) => {
  // JSON and form bodies are both declared; the one matching Content-Type was validated, and a
  // request with no body at all is validated here so it gets the same 422.
  const isForm = /application\/x-www-form-urlencoded|multipart\/form-data/i.test(
    c.req.header("Content-Type") ?? "",
  );
  const parsed = LoginBody.safeParse(isForm ? c.req.valid("form") : c.req.valid("json"));
  if (!parsed.success) {
    throw new ApiError(422, "validation_failed", {
      detail: "The request does not match the schema.",
      errors: zodFieldErrors(parsed.error),
    });
  }
  const body = parsed.data;
  const { pair } = await countOutcome(
    c.get("config"),
    auth.login(
      c.get("db"),
      c.get("config"),
      {
        identifier: (body.username ?? body.email) as string,
        password: body.password,
        rememberMe: body.remember_me ?? false,
        client: clientInfo(c),
      },
      {
        check: (key) => enforceRateLimit(c, (r) => r.failedLogin, key, "check"),
        recordFailure: (key) => countAfterDecision(c, (r) => r.failedLogin, key),
      },
    ),
  );
  c.header("Cache-Control", "no-store");
  return c.json(pair, 200);
};

export const refresh: AppRouteHandler<RefreshRoute> = async (c) => {
  const pair = await auth.refresh(
    c.get("db"),
    c.get("config"),
    c.req.valid("json").refresh_token,
    clientInfo(c),
  );
  c.header("Cache-Control", "no-store");
  return c.json(pair, 200);
};

export const logout: AppRouteHandler<LogoutRoute> = async (c) => {
  await auth.logout(c.get("db"), c.get("gate"), clientInfo(c));
  return c.body(null, 204);
};

export const logoutAll: AppRouteHandler<LogoutAllRoute> = async (c) => {
  await auth.logoutAll(c.get("db"), c.get("gate"), clientInfo(c));
  return c.body(null, 204);
};

export const changePassword: AppRouteHandler<ChangePasswordRoute> = async (c) => {
  const body = c.req.valid("json");
  const ended = await auth.changePassword(
    c.get("db"),
    c.get("gate"),
    { currentPassword: body.current_password, newPassword: body.new_password },
    clientInfo(c),
  );
  return c.json({ detail: `Password changed; ${ended} other session(s) ended.` }, 200);
};

export const jwks: AppRouteHandler<JwksRoute> = async (c) => {
  c.header("Cache-Control", "public, max-age=300");
  // jose's JWK type is open-ended; the published keys carry only the members JwksSchema allows.
  return c.json((await publicJwks(c.get("config"))) as z.infer<typeof JwksSchema>, 200);
};

const VERIFIED = "The e-mail address is verified.";

export const verifyEmailLink: AppRouteHandler<VerifyEmailLinkRoute> = async (c) => {
  await emailFlows.verifyEmail(c.get("db"), c.req.valid("param").token, clientInfo(c));
  return c.json({ detail: VERIFIED }, 200);
};

export const verifyEmail: AppRouteHandler<VerifyEmailRoute> = async (c) => {
  await emailFlows.verifyEmail(c.get("db"), c.req.valid("json").token, clientInfo(c));
  return c.json({ detail: VERIFIED }, 200);
};

export const resendVerification: AppRouteHandler<ResendVerificationRoute> = async (c) => {
  // Limited per IP and per account by the route (protectedRoute's rateLimits).
  const gate = c.get("gate");
  const emailId = await emailFlows.resendVerification(c.get("db"), c.get("config"), gate);
  if (emailId) c.executionCtx.waitUntil(enqueueEmail(c.env.JOBS_QUEUE, emailId, c.get("logger")));
  return c.json({ detail: "If the address is not verified yet, a new link is on its way." }, 202);
};

export const passwordResetRequest: AppRouteHandler<PasswordResetRequestRoute> = async (c) => {
  const { email } = c.req.valid("json");
  await enforceRateLimit(c, (r) => r.emailByAddress, `email:${email.toLowerCase()}`);
  const emailId = await emailFlows.requestPasswordReset(c.get("db"), c.get("config"), email);
  // Queued after the answer is decided and without waiting, so its timing says nothing either.
  if (emailId) c.executionCtx.waitUntil(enqueueEmail(c.env.JOBS_QUEUE, emailId, c.get("logger")));
  return c.json({ detail: "If an account has this address, a reset link is on its way." }, 202);
};

export const passwordResetConfirm: AppRouteHandler<PasswordResetConfirmRoute> = async (c) => {
  const body = c.req.valid("json");
  await emailFlows.confirmPasswordReset(
    c.get("db"),
    { token: body.token, newPassword: body.new_password },
    clientInfo(c),
  );
  return c.json({ detail: "Password changed; every session has ended." }, 200);
};
