import { z } from "@hono/zod-openapi";
import { userRoles } from "../../db/schema/index.ts";
import { BODY_PROBLEMS, COMMON_PROBLEMS, jsonContent, problems } from "../../lib/openapi.ts";
import { PaginationQuery, pageOf, QueryBoolean } from "../../lib/pagination.ts";
import { rolesFor } from "../../lib/permissions.ts";
import { protectedRoute } from "../../lib/protected-route.ts";
import { Email, FullName, USER_EXAMPLE, Username, UserSchema } from "./users.schemas.ts";

const UserPageSchema = pageOf(UserSchema, "UserPage", USER_EXAMPLE);

export const getMe = protectedRoute(
  { session: "in-statement" },
  {
    method: "get",
    path: "/api/v1/users/me",
    operationId: "getMe",
    tags: ["Users"],
    summary: "The caller's account",
    description: "The User object of the account the access token belongs to.",
    responses: {
      200: { description: "The user.", content: jsonContent(UserSchema) },
      ...problems(...COMMON_PROBLEMS),
    },
  },
);
export type GetMeRoute = typeof getMe;

export const UpdateMeBody = z
  .object({
    full_name: FullName.nullable().optional(),
    username: Username.optional(),
    email: Email.optional(),
    current_password: z
      .string()
      .min(1)
      .max(1024)
      .optional()
      .openapi({ description: "Required when `email` is given (403 `invalid_password` when wrong)." }),
  })
  .strict()
  .refine((b) => b.email === undefined || b.current_password !== undefined, {
    path: ["current_password"],
    message: "current_password is required to change the e-mail address",
  })
  .openapi("UpdateMeRequest", {
    description: "Only these fields; anything else (e.g. `role`) is refused with 422.",
    example: { full_name: "Jane Doe" },
  });

export const updateMe = protectedRoute(
  { session: "in-statement" },
  {
    method: "patch",
    path: "/api/v1/users/me",
    operationId: "updateMe",
    tags: ["Users"],
    summary: "Update the caller's profile",
    description:
      "Changing `email` needs `current_password` in the same body and marks the address unverified.",
    request: { body: { required: true, content: jsonContent(UpdateMeBody) } },
    responses: {
      200: { description: "The updated user.", content: jsonContent(UserSchema) },
      403: { $ref: "#/components/responses/Forbidden" },
      409: { $ref: "#/components/responses/Conflict" },
      ...problems(...BODY_PROBLEMS, ...COMMON_PROBLEMS),
    },
  },
);
export type UpdateMeRoute = typeof updateMe;

export const DeleteMeBody = z
  .object({ password: z.string().min(1).max(1024) })
  .strict()
  .openapi("DeleteMeRequest", { example: { password: "my-current-passphrase-1" } });

export const deleteMe = protectedRoute(
  { session: "in-statement" },
  {
    method: "delete",
    path: "/api/v1/users/me",
    operationId: "deleteMe",
    tags: ["Users"],
    summary: "Delete the caller's account (password required)",
    description:
      "Needs the current password in the body (403 `invalid_password` when wrong). Every session ends with the account.",
    request: { body: { required: true, content: jsonContent(DeleteMeBody) } },
    responses: {
      204: { description: "Account deleted." },
      403: { $ref: "#/components/responses/Forbidden" },
      ...problems(...BODY_PROBLEMS, ...COMMON_PROBLEMS),
    },
  },
);
export type DeleteMeRoute = typeof deleteMe;

export const ListUsersQuery = PaginationQuery.extend({
  q: z
    .string()
    .trim()
    .min(1)
    .max(100)
    .optional()
    .openapi({
      param: { name: "q", in: "query" },
      description: "Case-insensitive search in username, e-mail and full name.",
    }),
  role: z
    .enum(userRoles)
    .optional()
    .openapi({ param: { name: "role", in: "query" } }),
  is_active: QueryBoolean.optional().openapi({ param: { name: "is_active", in: "query" } }),
});

export const listUsers = protectedRoute(
  { session: "in-statement", roles: rolesFor("users:list") },
  {
    method: "get",
    path: "/api/v1/users",
    operationId: "listUsers",
    tags: ["Users"],
    summary: "List users (newest first)",
    request: { query: ListUsersQuery },
    responses: {
      200: { description: "A page of users.", content: jsonContent(UserPageSchema) },
      ...problems("UnprocessableContent", ...COMMON_PROBLEMS),
    },
  },
);
export type ListUsersRoute = typeof listUsers;
