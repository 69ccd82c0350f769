import { z } from "@hono/zod-openapi";
import { userRoles } from "../../db/schema/index.ts";
import { int32 } from "../../lib/fields.ts";
import { BODY_PROBLEMS, COMMON_PROBLEMS, jsonContent, problems } from "../../lib/openapi.ts";
import { rolesFor } from "../../lib/permissions.ts";
import { PROBLEM_CONTENT_TYPE, ProblemSchema } from "../../lib/problem.ts";
import { protectedRoute } from "../../lib/protected-route.ts";
import { FullName, UserSchema } from "./users.schemas.ts";

/**
 * A path id is a plain string of any length: a malformed one is 404 like a missing one, so ids
 * cannot be probed (and no 422 that these routes do not declare).
 */
const UserIdParams = z.object({
  id: z
    .string()
    .max(64)
    .openapi({
      param: { name: "id", in: "path" },
      // Documented format, not validated: any other string is a 404 like an unknown id.
      format: "uuid",
      example: "0b6c2a8e-8a53-4d6e-9a7c-2f0b1f4d6a11",
      description: "The user's UUID (any other string of up to 64 characters is 404; a longer one, 422).",
    }),
});

const NotFound = {
  404: {
    description: "`not_found`: no such user, or one the caller may not see (a malformed id too).",
    content: { [PROBLEM_CONTENT_TYPE]: { schema: ProblemSchema } },
  },
};

const LastAdmin = {
  409: {
    description: "`last_admin`: this would leave no active admin.",
    content: { [PROBLEM_CONTENT_TYPE]: { schema: ProblemSchema } },
  },
};

export const getUser = protectedRoute(
  { session: "in-statement", roles: rolesFor("users:read") },
  {
    method: "get",
    path: "/api/v1/users/{id}",
    operationId: "getUser",
    tags: ["Users"],
    summary: "A user by id (self, moderators, admins)",
    description: "Plain users may read only their own account; anyone else is 404, as if it did not exist.",
    request: { params: UserIdParams },
    responses: {
      200: { description: "The user.", content: jsonContent(UserSchema) },
      ...NotFound,
      ...problems("UnprocessableContent", ...COMMON_PROBLEMS),
    },
  },
);
export type GetUserRoute = typeof getUser;

export const UpdateUserBody = z
  .object({
    role: z.enum(userRoles).optional().openapi({ description: "Admins only." }),
    is_active: z
      .boolean()
      .optional()
      .openapi({ description: "Moderators may set this on plain users. `false` ends every session." }),
    full_name: FullName.nullable().optional().openapi({ description: "Admins only." }),
    email_verified: z.boolean().optional().openapi({ description: "Admins only." }),
  })
  .strict()
  .refine((b) => Object.values(b).some((v) => v !== undefined), {
    message: "Give at least one field",
  })
  .openapi("UpdateUserRequest", {
    description: "Only these fields; anything else is refused with 422.",
    example: { is_active: false },
  });

export const updateUser = protectedRoute(
  { session: "in-statement", roles: rolesFor("users:update", "users:set-active") },
  {
    method: "patch",
    path: "/api/v1/users/{id}",
    operationId: "updateUser",
    tags: ["Users"],
    summary: "Change a user's role, activity, name or verification (staff)",
    description:
      "Admins may change every field. Moderators may change only `is_active`, and only of users whose role is `user` (403 `forbidden` otherwise). The last active admin cannot be demoted or deactivated (409 `last_admin`). Deactivating ends the user's sessions. Audited (`user.update`).",
    request: { params: UserIdParams, body: { required: true, content: jsonContent(UpdateUserBody) } },
    responses: {
      200: { description: "The updated user.", content: jsonContent(UserSchema) },
      ...NotFound,
      ...LastAdmin,
      ...problems(...BODY_PROBLEMS, ...COMMON_PROBLEMS),
    },
  },
);
export type UpdateUserRoute = typeof updateUser;

export const deleteUser = protectedRoute(
  { session: "in-statement", roles: rolesFor("users:delete") },
  {
    method: "delete",
    path: "/api/v1/users/{id}",
    operationId: "deleteUser",
    tags: ["Users"],
    summary: "Delete a user (admin)",
    description:
      "Ends the user's sessions (they cascade). The last active admin cannot be deleted (409 `last_admin`). Audited (`user.delete`).",
    request: { params: UserIdParams },
    responses: {
      204: { description: "Deleted." },
      ...NotFound,
      ...LastAdmin,
      ...problems("UnprocessableContent", ...COMMON_PROBLEMS),
    },
  },
);
export type DeleteUserRoute = typeof deleteUser;

const RevokedSchema = z
  .object({ revoked: int32(0).openapi({ description: "Live sessions ended." }) })
  .strict()
  .openapi("SessionsRevoked", { example: { revoked: 2 } });

export const revokeUserSessions = protectedRoute(
  { session: "in-statement", roles: rolesFor("users:revoke-sessions") },
  {
    method: "post",
    path: "/api/v1/users/{id}/revoke-sessions",
    operationId: "revokeUserSessions",
    tags: ["Users"],
    summary: "End every session of a user (admin)",
    description:
      "Their access tokens stop working at once and their refresh tokens are refused. Audited (`user.sessions_revoke`); the user sees a `session_revoked` security event.",
    request: { params: UserIdParams },
    responses: {
      200: { description: "How many live sessions were ended.", content: jsonContent(RevokedSchema) },
      ...NotFound,
      ...problems("UnprocessableContent", ...COMMON_PROBLEMS),
    },
  },
);
export type RevokeUserSessionsRoute = typeof revokeUserSessions;
