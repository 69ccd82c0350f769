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
  RefreshBody,
  RegisterBody,
  TokenPairSchema,
} from "./auth.schemas.ts";

const registerConfig = (path: string, operationId: string) =>
  createRoute({
    method: "post",
    path,
    operationId,
    tags: ["Auth"],
    summary: "Create an account",
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
    middleware: [rateLimitByIp((r) => r.login)] as const,
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
