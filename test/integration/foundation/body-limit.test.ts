import { describe, expect, it } from "vitest";
import { api, envWith } from "../../helpers/harness.ts";

/** A body streamed in chunks, so the request carries no Content-Length. */
function chunked(chunks: number, chunkBytes: number): ReadableStream<Uint8Array> {
  let sent = 0;
  return new ReadableStream({
    pull(controller) {
      if (sent++ >= chunks) return controller.close();
      controller.enqueue(new TextEncoder().encode("x".repeat(chunkBytes)));
    },
  });
}

describe("body limit on a chunked body (no Content-Length)", () => {
  it("413 payload_too_large once the streamed bytes pass MAX_BODY_BYTES", async () => {
    const res = await api("POST", "/api/v1/auth/register", {
      body: chunked(64, 1024),
      headers: { "Content-Type": "application/json" },
      env: envWith({ MAX_BODY_BYTES: "16384" }),
    });
    expect(res.status, res.dump).toBe(413);
    expect(res.body.code).toBe("payload_too_large");
  });

  it("a chunked body under the limit is read normally (here: malformed JSON, 400)", async () => {
    const res = await api("POST", "/api/v1/auth/register", {
      body: chunked(4, 1024),
      headers: { "Content-Type": "application/json" },
      env: envWith({ MAX_BODY_BYTES: "16384" }),
    });
    expect(res.status, res.dump).toBe(400);
    expect(res.body.code).toBe("malformed_json");
  });
});
