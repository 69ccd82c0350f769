import { createRoute, z } from "@hono/zod-openapi";
import { COMMON_PROBLEMS, jsonContent, problems } from "../../lib/openapi.ts";
import { protectedRoute } from "../../lib/protected-route.ts";
import { AppUrl } from "../users/users.schemas.ts";

export const AvatarUrlSchema = z
  .object({
    avatar_url: AppUrl.nullable().openapi({
      example: "https://api.example.com/api/v1/avatars/9f86d081884c7d659a2feaa0c55ad015.png",
    }),
  })
  .strict()
  .openapi("AvatarUrl", {
    example: { avatar_url: "https://api.example.com/api/v1/avatars/9f86d081884c7d659a2feaa0c55ad015.png" },
  });

/** The four image types served, each declared (clients and checkers match exact media types). */
const IMAGE_TYPES = ["image/jpeg", "image/png", "image/gif", "image/webp"] as const;
const imageContent = Object.fromEntries(
  IMAGE_TYPES.map((t) => [t, { schema: { type: "string" as const, format: "binary" } }]),
);

export const uploadAvatar = protectedRoute(
  // The gate is checked before the upload is read, so a dead session never writes to R2.
  {},
  {
    method: "post",
    path: "/api/v1/users/me/avatar",
    operationId: "uploadMyAvatar",
    tags: ["Avatars"],
    summary: "Upload or replace the caller's avatar",
    description:
      "`multipart/form-data` with the image in the field `file`. JPEG, PNG, GIF or WebP, recognised by content (the file name and declared type are ignored); at most `AVATAR_MAX_BYTES` (5 MB by default) and 4096x4096 pixels. Each upload gets a new URL; the previous image is deleted.",
    request: {
      body: {
        required: true,
        content: {
          // A plain schema (not zod): the handler reads the body itself, to answer 415/422 precisely.
          "multipart/form-data": {
            schema: {
              type: "object",
              required: ["file"],
              properties: { file: { type: "string", format: "binary", description: "The image." } },
            },
            example: { file: "(image bytes)" },
          },
        },
      },
    },
    responses: {
      200: { description: "The new avatar URL.", content: jsonContent(AvatarUrlSchema) },
      ...problems(
        "BadRequest",
        "PayloadTooLarge",
        "UnsupportedMediaType",
        "UnprocessableContent",
        ...COMMON_PROBLEMS,
      ),
    },
  },
);
export type UploadAvatarRoute = typeof uploadAvatar;

export const deleteAvatar = protectedRoute(
  { session: "in-statement" },
  {
    method: "delete",
    path: "/api/v1/users/me/avatar",
    operationId: "deleteMyAvatar",
    tags: ["Avatars"],
    summary: "Remove the caller's avatar",
    description: "Deletes the stored image; answers `avatar_url: null` (also when there was none).",
    responses: {
      200: {
        description: "No avatar any more.",
        content: jsonContent(AvatarUrlSchema, { avatar_url: null }),
      },
      ...problems(...COMMON_PROBLEMS),
    },
  },
);
export type DeleteAvatarRoute = typeof deleteAvatar;

const cachingHeaders = {
  ETag: {
    description: "R2's entity tag of the object.",
    schema: { type: "string" as const, maxLength: 128, pattern: '^(W/)?"[^"]*"$' },
  },
  "Cache-Control": {
    description: "Each upload has a new key, so an image never changes.",
    schema: { type: "string" as const, const: "public, max-age=86400, immutable" },
  },
};

export const getAvatar = createRoute({
  method: "get",
  path: "/api/v1/avatars/{key}",
  operationId: "getAvatar",
  tags: ["Avatars"],
  summary: "An avatar image (public)",
  description:
    "Served with its true content type, `ETag` (304 for a matching `If-None-Match`), long-lived immutable caching, `X-Content-Type-Options: nosniff` and `Content-Security-Policy: default-src 'none'`.",
  security: [],
  request: {
    // Any string: an unknown or malformed key is 404, not 422.
    params: z.object({
      key: z
        .string()
        .max(200)
        .openapi({ param: { name: "key", in: "path" }, example: "9f86d081884c7d659a2feaa0c55ad015.png" }),
    }),
  },
  responses: {
    200: { description: "The image.", headers: cachingHeaders, content: imageContent },
    304: { description: "Not modified (the `If-None-Match` matched).", headers: cachingHeaders },
    ...problems("NotFound", "UnprocessableContent", ...COMMON_PROBLEMS),
  },
});
export type GetAvatarRoute = typeof getAvatar;
