import { describe, expect, it } from "vitest";
import { sniffImage } from "../../src/services/images.ts";
import { gifOfSize, IMAGES, patched, pngOfSize } from "../fixtures/images.ts";

const text = (s: string) => new TextEncoder().encode(s);

describe("sniffImage: type by magic bytes, dimensions from the header", () => {
  it.each([
    ["png", IMAGES.png, "image/png", "png"],
    ["gif", IMAGES.gif, "image/gif", "gif"],
    ["jpeg (SOF2)", IMAGES.jpg, "image/jpeg", "jpg"],
    ["webp VP8", IMAGES.webp, "image/webp", "webp"],
    ["webp VP8L", IMAGES.webpLossless, "image/webp", "webp"],
    ["webp VP8X", IMAGES.webpExtended, "image/webp", "webp"],
  ])("%s", (_label, bytes, type, ext) => {
    expect(sniffImage(bytes)).toEqual({ type, ext, width: 1, height: 1 });
  });

  it("reads larger dimensions: PNG IHDR, GIF screen, JPEG SOF, VP8X canvas", () => {
    expect(sniffImage(pngOfSize(5000, 300))).toMatchObject({ width: 5000, height: 300 });
    expect(sniffImage(gifOfSize(640, 4097))).toMatchObject({ width: 640, height: 4097 });
    // SOF2 at offset 0x6b (after APP0 and DQT): height at +5, width at +7.
    const sof = IMAGES.jpg.findIndex((b, i) => b === 0xff && IMAGES.jpg[i + 1] === 0xc2);
    expect(sniffImage(patched(IMAGES.jpg, sof + 5, [0x01, 0x2c, 0x13, 0x88]))).toMatchObject({
      width: 5000,
      height: 300,
    });
    // VP8X: canvas width-1 and height-1, 24-bit little-endian at 24 and 27.
    expect(sniffImage(patched(IMAGES.webpExtended, 24, [0x87, 0x13, 0x00, 0x2b, 0x01, 0x00]))).toMatchObject({
      width: 5000,
      height: 300,
    });
  });

  it.each([
    ["plain text", text("hello, I am surely a PNG")],
    ["HTML", text("<!doctype html><script>alert(1)</script>")],
    ["SVG", text('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>')],
    ["empty", new Uint8Array()],
    ["a PNG signature alone", IMAGES.png.slice(0, 8)],
    ["a JPEG without a frame header", Uint8Array.of(0xff, 0xd8, 0xff, 0xda, 0x00, 0x02, 0xff, 0xd9)],
    ["RIFF that is not WebP", patched(IMAGES.webp, 8, [0x41, 0x56, 0x49, 0x20])],
    ["a zero-sized GIF", gifOfSize(0, 1)],
    ["BMP", Uint8Array.of(0x42, 0x4d, ...new Array(60).fill(0))],
  ])("refuses %s", (_label, bytes) => {
    expect(sniffImage(bytes)).toBeNull();
  });
});
