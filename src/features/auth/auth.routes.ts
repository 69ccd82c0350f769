import { createRoute } from "@hono/zod-openapi";
import { BODY_PROBLEMS, COMMON_PROBLEMS, jsonContent, problems } from "../../lib/openapi.ts";
import { protectedRoute } from "../../lib/protected-route.ts";
import { rateLimitByIp } from "../../middleware/rate-limit.ts";
import { UserSchema } from "../users/users.schemas.ts";
import {
  ChangePasswordBody,
  JwksSchema,
  LoginBody,
  MessageSchema,
  PasswordResetConfirmBody,
  PasswordResetRequestBody,
  RefreshBody,
  RegisterBody,
  TokenPairSchema,
  VerifyEmailBody,
  VerifyEmailParams,
} from "./auth.schemas.ts";

const registerConfig = (path: string, operationId: string) =>
  createRoute({
    method: "post",
    path,
    operationId,
    tags: ["Auth"],
    summary: "Create an account",
    description:
      "Username 3..50 of letters, digits and underscores; password 8..128 characters, common passwords refused. Username and e-mail are unique case-insensitively (409 `account_exists`). A verification e-mail is sent. Rate limited per IP (RATE_LIMIT_AUTH_PER_MINUTE).",
    security: [],
    middleware: [rateLimitByIp((r) => r.register)] as const,
    request: { body: { required: true, content: jsonContent(RegisterBody) } },
    responses: {
      201: { description: "The new user.", content: jsonContent(UserSchema) },
      409: { $ref: "#/components/responses/Conflict" },
      ...problems(...BODY_PROBLEMS, ...COMMON_PROBLEMS, "ServiceUnavailable"),
    },
  });
export const register = registerConfig("/api/v1/auth/register", "register");
export const registerAlias = registerConfig("/api/v1/users", "createUser");
export type RegisterRoute = typeof register;

const loginConfig = (path: string, operationId: string) =>
  createRoute({
    method: "post",
    path,
    operationId,
    tags: ["Auth"],
    summary: "Log in with a username or e-mail and a password",
    description:
      "Accepts JSON, `application/x-www-form-urlencoded` (the OAuth2 password flow, so Swagger UI's Authorize works) or `multipart/form-data`. `username` may hold a username or an e-mail. Every failure is the same 401.",
    security: [],
    // The handler decides, once it knows the account (the failed-login check): one limiter call.
    middleware: [rateLimitByIp((r) => r.login, { decidedBy: "handler" })] as const,
    request: {
      body: {
        content: {
          "application/json": { schema: LoginBody },
          "application/x-www-form-urlencoded": { schema: LoginBody },
          "multipart/form-data": { schema: LoginBody },
        },
      },
    },
    responses: {
      200: { description: "A token pair.", content: jsonContent(TokenPairSchema) },
      ...problems("Unauthorized", ...BODY_PROBLEMS, ...COMMON_PROBLEMS, "ServiceUnavailable"),
    },
  });
export const login = loginConfig("/api/v1/auth/login", "login");
export const loginJson = loginConfig("/api/v1/auth/login-json", "loginJson");
export type LoginRoute = typeof login;

export const refresh = createRoute({
  method: "post",
  path: "/api/v1/auth/refresh",
  operationId: "refreshTokens",
  tags: ["Auth"],
  summary: "Rotate a refresh token",
  description:
    "Returns a new pair. Replaying the token just replaced within a short grace returns the current pair; any later replay revokes the whole session.",
  security: [],
  request: { body: { required: true, content: jsonContent(RefreshBody) } },
  responses: {
    200: { description: "A token pair.", content: jsonContent(TokenPairSchema) },
    ...problems("Unauthorized", ...BODY_PROBLEMS, ...COMMON_PROBLEMS),
  },
});
export type RefreshRoute = typeof refresh;

export const logout = protectedRoute(
  { session: "in-statement" },
  {
    method: "post",
    path: "/api/v1/auth/logout",
    operationId: "logout",
    tags: ["Auth"],
    summary: "End this session",
    description: "The access token stops working at once and the session's refresh token is refused.",
    responses: {
      204: { description: "Logged out; the access token stops working at once." },
      ...problems(...COMMON_PROBLEMS),
    },
  },
);
export type LogoutRoute = typeof logout;

export const logoutAll = protectedRoute(
  { session: "in-statement" },
  {
    method: "post",
    path: "/api/v1/auth/logout-all",
    operationId: "logoutAll",
    tags: ["Auth"],
    summary: "End every session of the user",
    description:
      "Every device is logged out: all access tokens stop working at once, all refresh tokens are refused.",
    responses: { 204: { description: "Every session ended." }, ...problems(...COMMON_PROBLEMS) },
  },
);
export type LogoutAllRoute = typeof logoutAll;

export const changePassword = protectedRoute(
  { session: "in-statement" },
  {
    method: "post",
    path: "/api/v1/auth/password/change",
    operationId: "changePassword",
    tags: ["Auth"],
    summary: "Change the password; ends every other session",
    description:
      "Needs the current password (403 `invalid_password` when wrong); the new one follows the registration policy (422 otherwise). This session stays logged in.",
    request: { body: { required: true, content: jsonContent(ChangePasswordBody) } },
    responses: {
      200: { description: "Password changed.", content: jsonContent(MessageSchema) },
      403: { $ref: "#/components/responses/Forbidden" },
      ...problems(...BODY_PROBLEMS, ...COMMON_PROBLEMS),
    },
  },
);
export type ChangePasswordRoute = typeof changePassword;

const jwksConfig = (path: string, operationId: string) =>
  createRoute({
    method: "get",
    path,
    operationId,
    tags: ["Auth"],
    summary: "Public keys for verifying access tokens",
    description: "Empty when tokens are signed with HS256 (a shared secret is never published).",
    security: [],
    responses: {
      200: { description: "JWKS.", content: jsonContent(JwksSchema) },
      ...problems(...COMMON_PROBLEMS),
    },
  });
export const jwks = jwksConfig("/api/v1/auth/jwks.json", "getJwks");
export const jwksWellKnown = jwksConfig("/.well-known/jwks.json", "getJwksWellKnown");
export type JwksRoute = typeof jwks;

const verifyResponses = {
  200: { description: "The address is verified.", content: jsonContent(MessageSchema) },
};
const verifyDescription =
  "Single use; the token lives 24 hours and counts only while the address it was sent to is still the account's. An unknown, used, expired or other-purpose token is 400 `invalid_token`.";

export const verifyEmailLink = createRoute({
  method: "get",
  path: "/api/v1/auth/verify/{token}",
  operationId: "verifyEmailLink",
  tags: ["Auth"],
  summary: "Verify an e-mail address (the link in the verification e-mail)",
  description: verifyDescription,
  security: [],
  request: { params: VerifyEmailParams },
  responses: { ...problems("BadRequest", "UnprocessableContent", ...COMMON_PROBLEMS), ...verifyResponses },
});
export type VerifyEmailLinkRoute = typeof verifyEmailLink;

export const verifyEmail = createRoute({
  method: "post",
  path: "/api/v1/auth/verify-email",
  operationId: "verifyEmail",
  tags: ["Auth"],
  summary: "Verify an e-mail address with the token from the verification e-mail",
  description: verifyDescription,
  security: [],
  request: { body: { required: true, content: jsonContent(VerifyEmailBody) } },
  responses: { ...problems(...BODY_PROBLEMS, ...COMMON_PROBLEMS), ...verifyResponses },
});
export type VerifyEmailRoute = typeof verifyEmail;

export const resendVerification = protectedRoute(
  {
    session: "in-statement",
    // Per account: the address is the account's, and the token's subject names it without a query.
    rateLimits: [
      { rule: (r) => r.emailByIp, by: "ip" },
      { rule: (r) => r.emailByAddress, by: "user" },
    ],
  },
  {
    method: "post",
    path: "/api/v1/auth/verify-email/resend",
    operationId: "resendVerificationEmail",
    tags: ["Auth"],
    summary: "Send the verification e-mail again",
    description:
      "202 whether or not a message was sent: nothing is sent when the address is already verified. Limited per IP and per account (RATE_LIMIT_EMAIL_PER_HOUR).",
    responses: {
      202: { description: "Accepted.", content: jsonContent(MessageSchema) },
      ...problems(...COMMON_PROBLEMS),
    },
  },
);
export type ResendVerificationRoute = typeof resendVerification;

export const passwordResetRequest = createRoute({
  method: "post",
  path: "/api/v1/auth/password-reset/request",
  operationId: "requestPasswordReset",
  tags: ["Auth"],
  summary: "E-mail a password-reset link",
  description:
    "Always 202 with the same body: the answer never says whether an account has this address. Limited per IP and per address (RATE_LIMIT_EMAIL_PER_HOUR).",
  security: [],
  // The handler adds the per-address rule (the address is in the body) and decides both at once.
  middleware: [rateLimitByIp((r) => r.emailByIp, { decidedBy: "handler" })] as const,
  request: { body: { required: true, content: jsonContent(PasswordResetRequestBody) } },
  responses: {
    202: { description: "Accepted.", content: jsonContent(MessageSchema) },
    ...problems(...BODY_PROBLEMS, ...COMMON_PROBLEMS),
  },
});
export type PasswordResetRequestRoute = typeof passwordResetRequest;

export const passwordResetConfirm = createRoute({
  method: "post",
  path: "/api/v1/auth/password-reset/confirm",
  operationId: "confirmPasswordReset",
  tags: ["Auth"],
  summary: "Set a new password with the token from the reset e-mail; ends every session",
  description:
    "The token is single use and lives 1 hour; an unknown, used, expired or other-purpose token is 400 `invalid_token`. The new password follows the registration policy (422 otherwise).",
  security: [],
  request: { body: { required: true, content: jsonContent(PasswordResetConfirmBody) } },
  responses: {
    200: { description: "Password changed; every session ended.", content: jsonContent(MessageSchema) },
    ...problems(...BODY_PROBLEMS, ...COMMON_PROBLEMS),
  },
});
export type PasswordResetConfirmRoute = typeof passwordResetConfirm;
