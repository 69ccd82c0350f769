import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { gifOfSize, IMAGES, padded, patched, pngOfSize } from "../../fixtures/images.ts";
import { countRoundTrips } from "../../helpers/db.ts";
import { createSignedInUser } from "../../helpers/factories.ts";
import { api, envWith, type TestEnv } from "../../helpers/harness.ts";

const KEY_URL = /^http:\/\/localhost\/api\/v1\/avatars\/([0-9a-f]{32}\.(jpg|png|gif|webp))$/;

const form = (bytes: Uint8Array | string, filename = "avatar.png", type = "image/png", field = "file") => {
  const data = new FormData();
  data.set(field, new File([bytes], filename, { type }));
  return data;
};

const upload = (token: string, body: BodyInit, testEnv?: TestEnv, headers?: Record<string, string>) =>
  api("POST", "/api/v1/users/me/avatar", { token, body, env: testEnv, headers });

const keyOf = (url: string) => {
  const match = KEY_URL.exec(url);
  if (!match?.[1]) throw new Error(`not an avatar URL: ${url}`);
  return match[1];
};

describe("POST /api/v1/users/me/avatar, GET /api/v1/avatars/{key}", () => {
  it.each([
    ["png", IMAGES.png, "image/png", "png"],
    ["gif", IMAGES.gif, "image/gif", "gif"],
    ["jpeg", IMAGES.jpg, "image/jpeg", "jpg"],
    ["webp", IMAGES.webp, "image/webp", "webp"],
    ["webp lossless", IMAGES.webpLossless, "image/webp", "webp"],
    ["webp extended", IMAGES.webpExtended, "image/webp", "webp"],
  ])("stores a %s by its content and serves it back byte for byte", async (_label, bytes, type, ext) => {
    const user = await createSignedInUser();
    // The file name and declared type lie on purpose: only the content counts.
    const res = await upload(user.tokens.access_token, form(bytes, "photo.txt", "application/octet-stream"));
    expect(res.status, res.dump).toBe(200);
    const key = keyOf(res.body.avatar_url);
    expect(key.endsWith(`.${ext}`)).toBe(true);

    const stored = await env.AVATARS.get(key);
    expect(stored?.httpMetadata?.contentType).toBe(type);

    const served = await api("GET", new URL(res.body.avatar_url).pathname);
    expect(served.status, served.dump).toBe(200);
    expect(served.bytes).toEqual(bytes);
    expect(served.headers.get("Content-Type")).toBe(type);
    expect(served.headers.get("ETag")).toBe(stored?.httpEtag);
    expect(served.headers.get("Cache-Control")).toBe("public, max-age=86400, immutable");
    expect(served.headers.get("X-Content-Type-Options")).toBe("nosniff");
    expect(served.headers.get("Content-Security-Policy")).toMatch(/^default-src 'none'/);
    expect(served.headers.get("Cross-Origin-Resource-Policy")).toBe("cross-origin");

    const me = await api("GET", "/api/v1/users/me", { token: user.tokens.access_token });
    expect(me.body.avatar_url).toBe(res.body.avatar_url);
  });

  it("answers 304 with the ETag for a matching If-None-Match, 200 otherwise", async () => {
    const user = await createSignedInUser();
    const res = await upload(user.tokens.access_token, form(IMAGES.png));
    const path = new URL(res.body.avatar_url).pathname;
    const etag = (await api("GET", path)).headers.get("ETag") as string;
    const cached = await api("GET", path, { headers: { "If-None-Match": etag } });
    expect(cached.status, cached.dump).toBe(304);
    expect(cached.bytes.length).toBe(0);
    expect(cached.headers.get("ETag")).toBe(etag);
    const stale = await api("GET", path, { headers: { "If-None-Match": '"something-else"' } });
    expect(stale.status, stale.dump).toBe(200);
  });

  it("replacing deletes the old object; DELETE removes the avatar and its object", async () => {
    const user = await createSignedInUser();
    const first = keyOf((await upload(user.tokens.access_token, form(IMAGES.png))).body.avatar_url);
    const second = await upload(user.tokens.access_token, form(IMAGES.gif));
    expect(second.status, second.dump).toBe(200);
    const secondKey = keyOf(second.body.avatar_url);
    expect(secondKey).not.toBe(first);
    expect(await env.AVATARS.get(first)).toBeNull();
    expect((await api("GET", `/api/v1/avatars/${first}`)).status).toBe(404);
    expect(await env.AVATARS.get(secondKey)).not.toBeNull();

    const removed = await api("DELETE", "/api/v1/users/me/avatar", { token: user.tokens.access_token });
    expect(removed.status, removed.dump).toBe(200);
    expect(removed.body).toEqual({ avatar_url: null });
    expect(await env.AVATARS.get(secondKey)).toBeNull();
    const me = await api("GET", "/api/v1/users/me", { token: user.tokens.access_token });
    expect(me.body.avatar_url).toBeNull();
    // Removing again is harmless.
    expect((await api("DELETE", "/api/v1/users/me/avatar", { token: user.tokens.access_token })).status).toBe(
      200,
    );
  });

  it.each([
    ["text named .png, sent as image/png", "I am not an image at all", "evil.png", "image/png"],
    ["HTML named .png, sent as image/png", "<!doctype html><script>alert(1)</script>", "x.png", "image/png"],
    [
      "an SVG",
      '<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
      "a.svg",
      "image/svg+xml",
    ],
    ["a truncated PNG (signature only)", IMAGES.png.slice(0, 8), "a.png", "image/png"],
  ])("refuses %s with 415 unsupported_media_type, storing nothing", async (_label, bytes, name, type) => {
    const user = await createSignedInUser();
    const before = (await env.AVATARS.list()).objects.length;
    const res = await upload(user.tokens.access_token, form(bytes, name, type));
    expect(res.status, res.dump).toBe(415);
    expect(res.body.code).toBe("unsupported_media_type");
    expect((await env.AVATARS.list()).objects.length).toBe(before);
  });

  it.each([
    ["a 5000x5000 GIF", gifOfSize(5000, 5000)],
    ["a PNG 4097 pixels wide", pngOfSize(4097, 1)],
    ["a VP8X WebP 5000 high", patched(IMAGES.webpExtended, 27, [0x87, 0x13, 0x00])],
  ])("422 image_dimensions_too_large for %s", async (_label, bytes) => {
    const user = await createSignedInUser();
    const res = await upload(user.tokens.access_token, form(bytes));
    expect(res.status, res.dump).toBe(422);
    expect(res.body.code).toBe("image_dimensions_too_large");
  });

  it("accepts exactly 4096x4096", async () => {
    const user = await createSignedInUser();
    const res = await upload(user.tokens.access_token, form(pngOfSize(4096, 4096)));
    expect(res.status, res.dump).toBe(200);
  });

  it("413 for a file over AVATAR_MAX_BYTES; a file at the limit passes", async () => {
    const small = envWith({ AVATAR_MAX_BYTES: "2048" });
    const user = await createSignedInUser();
    const over = await upload(user.tokens.access_token, form(padded(IMAGES.png, 2049)), small);
    expect(over.status, over.dump).toBe(413);
    expect(over.body.code).toBe("payload_too_large");
    const at = await upload(user.tokens.access_token, form(padded(IMAGES.png, 2048)), small);
    expect(at.status, at.dump).toBe(200);
  });

  it("an avatar larger than MAX_BODY_BYTES (the global limit) is accepted up to AVATAR_MAX_BYTES", async () => {
    const user = await createSignedInUser();
    const res = await upload(
      user.tokens.access_token,
      form(padded(IMAGES.png, 2 * 1024 * 1024)),
      envWith({ MAX_BODY_BYTES: "1048576" }),
    );
    expect(res.status, res.dump).toBe(200);
    // Any other route still holds to MAX_BODY_BYTES.
    const other = await api("PATCH", "/api/v1/users/me", {
      token: user.tokens.access_token,
      json: { full_name: "x".repeat(2 * 1024 * 1024) },
    });
    expect(other.status, other.dump).toBe(413);
  });

  it("413 for a chunked upload (no Content-Length) while it is being read", async () => {
    const user = await createSignedInUser();
    const boundary = "----avatar-boundary";
    const head = `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.png"\r\nContent-Type: image/png\r\n\r\n`;
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent === 0) controller.enqueue(new TextEncoder().encode(head));
        if (sent++ > 1024) return controller.close();
        controller.enqueue(new Uint8Array(1024));
      },
    });
    const res = await upload(user.tokens.access_token, body, envWith({ AVATAR_MAX_BYTES: "2048" }), {
      "Content-Type": `multipart/form-data; boundary=${boundary}`,
    });
    expect(res.status, res.dump).toBe(413);
    expect(res.body.code).toBe("payload_too_large");
    // Reading stopped at the limit (2048 + 16 KiB overhead), long before the stream's end.
    expect(sent).toBeLessThan(30);
  });

  it("415 when the body is not multipart; 422 without a file field; 400 for a broken multipart body", async () => {
    const user = await createSignedInUser();
    const token = user.tokens.access_token;
    const json = await api("POST", "/api/v1/users/me/avatar", { token, json: { file: "x" } });
    expect(json.status, json.dump).toBe(415);
    expect(json.body.code).toBe("unsupported_media_type");

    const noFile = new FormData();
    noFile.set("picture", new File([IMAGES.png], "a.png", { type: "image/png" }));
    noFile.set("file", "just a string");
    const missing = await upload(token, noFile);
    expect(missing.status, missing.dump).toBe(422);
    expect(missing.body.errors).toEqual([expect.objectContaining({ path: "file" })]);

    const broken = await upload(token, "--x\r\nnot really multipart", undefined, {
      "Content-Type": "multipart/form-data; boundary=zzz",
    });
    expect(broken.status, broken.dump).toBe(400);
    expect(broken.body.code).toBe("malformed_multipart");
  });

  it.each([
    "0123456789abcdef0123456789abcdef.png",
    "not-a-key",
    "..%2F..%2Fetc%2Fpasswd",
    "0123456789ABCDEF0123456789ABCDEF.png",
  ])("GET /api/v1/avatars/%s is a 404 problem", async (key) => {
    const res = await api("GET", `/api/v1/avatars/${key}`);
    expect(res.status, res.dump).toBe(404);
    expect(res.body.code).toBe("not_found");
  });

  it("round trips: upload 2 (gate, then the gated update), delete 1, serving 0", async () => {
    const user = await createSignedInUser();
    const up = await countRoundTrips((e) => upload(user.tokens.access_token, form(IMAGES.png), e));
    expect(up.result.status, up.result.dump).toBe(200);
    expect(up.sqlRequests).toBe(2);
    const get = await countRoundTrips((e) =>
      api("GET", new URL(up.result.body.avatar_url).pathname, { env: e }),
    );
    expect(get.result.status).toBe(200);
    expect(get.sqlRequests).toBe(0);
    const del = await countRoundTrips((e) =>
      api("DELETE", "/api/v1/users/me/avatar", { token: user.tokens.access_token, env: e }),
    );
    expect(del.result.status).toBe(200);
    expect(del.sqlRequests).toBe(1);
    expect(up.wsConnections + del.wsConnections).toBe(0);
  });
});
