import { z } from "@hono/zod-openapi";
import { BODY_PROBLEMS, COMMON_PROBLEMS, jsonContent, problems } from "../../lib/openapi.ts";
import { protectedRoute } from "../../lib/protected-route.ts";
import { Email, FullName, Username, UserSchema } from "./users.schemas.ts";

export const getMe = protectedRoute(
  { sessionCheck: "in-query" },
  {
    method: "get",
    path: "/api/v1/users/me",
    operationId: "getMe",
    tags: ["Users"],
    summary: "The caller's account",
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
  })
  .strict()
  .openapi("UpdateMeRequest", {
    description: "Only these fields; anything else (e.g. `role`) is refused with 422.",
  });

export const updateMe = protectedRoute(
  { sessionCheck: "in-query" },
  {
    method: "patch",
    path: "/api/v1/users/me",
    operationId: "updateMe",
    tags: ["Users"],
    summary: "Update the caller's profile",
    description: "Changing `email` marks it unverified.",
    request: { body: { required: true, content: jsonContent(UpdateMeBody) } },
    responses: {
      200: { description: "The updated user.", content: jsonContent(UserSchema) },
      409: { $ref: "#/components/responses/Conflict" },
      ...problems(...BODY_PROBLEMS, ...COMMON_PROBLEMS),
    },
  },
);
export type UpdateMeRoute = typeof updateMe;

export const DeleteMeBody = z
  .object({ password: z.string().min(1).max(1024) })
  .strict()
  .openapi("DeleteMeRequest");

export const deleteMe = protectedRoute(
  { sessionCheck: "in-query" },
  {
    method: "delete",
    path: "/api/v1/users/me",
    operationId: "deleteMe",
    tags: ["Users"],
    summary: "Delete the caller's account (password required)",
    request: { body: { required: true, content: jsonContent(DeleteMeBody) } },
    responses: {
      204: { description: "Account deleted." },
      403: { $ref: "#/components/responses/Forbidden" },
      ...problems(...BODY_PROBLEMS, ...COMMON_PROBLEMS),
    },
  },
);
export type DeleteMeRoute = typeof deleteMe;
