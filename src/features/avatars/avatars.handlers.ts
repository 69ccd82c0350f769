import type { Context } from "hono";
import { ApiError } from "../../lib/errors.ts";
import type { AppBindings, AppRouteHandler } from "../../lib/types.ts";
import type { DeleteAvatarRoute, GetAvatarRoute, UploadAvatarRoute } from "./avatars.routes.ts";
import * as avatars from "./avatars.service.ts";

const avatarUrl = (key: string, appUrl: string) => new URL(`/api/v1/avatars/${key}`, appUrl).toString();

const deps = (c: Context<AppBindings>): avatars.AvatarDeps => ({
  db: c.get("db"),
  bucket: c.env.AVATARS,
  gate: c.get("gate"),
  defer: (promise) => c.executionCtx.waitUntil(promise),
});

/** The `file` part of a multipart body: 415 for another content type, 400 unreadable, 422 missing. */
async function readUploadedFile(c: Context<AppBindings>): Promise<File> {
  if (!/^multipart\/form-data\s*;/i.test(c.req.header("Content-Type") ?? "")) {
    throw new ApiError(415, "unsupported_media_type", {
      detail: "Send the image as multipart/form-data in the field `file`.",
    });
  }
  let form: FormData;
  try {
    form = await c.req.raw.formData();
  } catch {
    throw new ApiError(400, "malformed_multipart", { detail: "The multipart body cannot be read." });
  }
  const file = form.get("file");
  if (!(file instanceof File)) {
    throw new ApiError(422, "validation_failed", {
      detail: "The request does not match the schema.",
      errors: [{ path: "file", message: "A file is required in the multipart field `file`." }],
    });
  }
  return file;
}

export const uploadAvatar: AppRouteHandler<UploadAvatarRoute> = async (c) => {
  const config = c.get("config");
  const file = await readUploadedFile(c);
  // The body limit already capped what was read; this holds the file itself to the avatar limit.
  if (file.size > config.AVATAR_MAX_BYTES) throw avatars.avatarTooLarge(config.AVATAR_MAX_BYTES);
  const key = await avatars.uploadAvatar(deps(c), new Uint8Array(await file.arrayBuffer()));
  return c.json({ avatar_url: avatarUrl(key, config.APP_URL) }, 200);
};

export const deleteAvatar: AppRouteHandler<DeleteAvatarRoute> = async (c) => {
  await avatars.removeAvatar(deps(c));
  return c.json({ avatar_url: null }, 200);
};

const notFound = () => new ApiError(404, "not_found", { detail: "No such avatar." });

export const getAvatar: AppRouteHandler<GetAvatarRoute> = async (c) => {
  const object = await avatars.readAvatar(c.env.AVATARS, c.req.valid("param").key, c.req.raw.headers);
  if (!object) throw notFound();
  const headers = new Headers({
    ETag: object.httpEtag,
    "Cache-Control": "public, max-age=86400, immutable",
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; sandbox",
    // Images are embedded by front ends on other origins.
    "Cross-Origin-Resource-Policy": "cross-origin",
  });
  // R2 returns the object without a body when the If-None-Match precondition failed.
  if (!("body" in object)) return new Response(null, { status: 304, headers }) as never;
  headers.set("Content-Type", object.httpMetadata?.contentType ?? "application/octet-stream");
  headers.set("Content-Length", String(object.size));
  return new Response((object as R2ObjectBody).body, { status: 200, headers }) as never;
};
