/**
 * Avatars: the image in R2 under a key made here (random, never from the client, so every upload
 * has a new immutable URL), the key on the users row. The row is updated in one gated statement that
 * returns the key it replaced; the replaced object is deleted only after that update succeeded.
 */
import { sql } from "drizzle-orm";
import type { Db } from "../../db/client.ts";
import { ApiError } from "../../lib/errors.ts";
import { type ImageInfo, sniffImage } from "../../services/images.ts";
import type { SessionGate } from "../../services/session-gate.ts";

/** Neither side may exceed this many pixels. */
export const AVATAR_MAX_DIMENSION = 4096;

/** A storage key: 32 hex digits and the extension of the sniffed type (no '/', so one path segment). */
export const AVATAR_KEY = /^[0-9a-f]{32}\.(jpg|png|gif|webp)$/;

/** Runs `promise` after the response (ctx.waitUntil in the Worker). */
export type Defer = (promise: Promise<unknown>) => void;

export interface AvatarDeps {
  db: Db;
  bucket: R2Bucket;
  gate: SessionGate;
  defer: Defer;
}

export const unsupportedImage = () =>
  new ApiError(415, "unsupported_media_type", {
    detail: "The file is not a JPEG, PNG, GIF or WebP image (judged by its content).",
  });

export const avatarTooLarge = (maxBytes: number) =>
  new ApiError(413, "payload_too_large", { detail: `The image exceeds the limit of ${maxBytes} bytes.` });

const newKey = (ext: ImageInfo["ext"]) => {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return `${Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("")}.${ext}`;
};

/**
 * Checks the bytes (type by content, dimensions from the header), stores them in R2 with their true
 * content type, points the caller's row at the new key (one gated statement returning the old key)
 * and deletes the old object afterwards. Returns the new key.
 */
export async function uploadAvatar(deps: AvatarDeps, bytes: Uint8Array): Promise<string> {
  const image = sniffImage(bytes);
  if (!image) throw unsupportedImage();
  if (image.width > AVATAR_MAX_DIMENSION || image.height > AVATAR_MAX_DIMENSION) {
    throw new ApiError(422, "image_dimensions_too_large", {
      detail: `The image is ${image.width}x${image.height} pixels; at most ${AVATAR_MAX_DIMENSION}x${AVATAR_MAX_DIMENSION} is accepted.`,
    });
  }
  const key = newKey(image.ext);
  await deps.bucket.put(key, bytes, { httpMetadata: { contentType: image.type } });
  let replaced: { oldKey: string | null } | undefined;
  try {
    replaced = await setAvatarKey(deps.db, deps.gate, key);
  } catch (err) {
    deps.defer(deps.bucket.delete(key));
    throw err;
  }
  if (!replaced) {
    // The session ended between the gate check and the update: nothing points at the new object.
    deps.defer(deps.bucket.delete(key));
    throw deps.gate.denied();
  }
  if (replaced.oldKey) deps.defer(deps.bucket.delete(replaced.oldKey));
  return key;
}

/** Removes the caller's avatar (one gated statement) and deletes the object afterwards. */
export async function removeAvatar(deps: AvatarDeps): Promise<void> {
  const replaced = await setAvatarKey(deps.db, deps.gate, null);
  if (!replaced) throw deps.gate.denied();
  if (replaced.oldKey) deps.defer(deps.bucket.delete(replaced.oldKey));
}

/**
 * Sets the caller's `avatar_key` and returns the one it replaced; undefined when the gate did not
 * pass. The row is locked while the old key is read, so two concurrent uploads each see the key
 * the other wrote and no object is left behind unreferenced.
 */
async function setAvatarKey(
  db: Db,
  gate: SessionGate,
  key: string | null,
): Promise<{ oldKey: string | null } | undefined> {
  const result = await db.execute<{ old_key: string | null }>(sql`
    with old as (select id, avatar_key from users where id = ${gate.userId} for update)
    update users u set avatar_key = ${key}, updated_at = now()
    from old where u.id = old.id
    returning old.avatar_key as old_key`);
  const row = result.rows[0];
  return row ? { oldKey: row.old_key ?? null } : undefined;
}

/** The stored object, or only its metadata when the client's If-None-Match matched (then 304). */
export async function readAvatar(bucket: R2Bucket, key: string, conditions: Headers) {
  if (!AVATAR_KEY.test(key)) return null;
  return bucket.get(key, { onlyIf: conditions });
}
