/**
 * Recognises an uploaded image by its content alone (magic bytes, never the file name or the
 * declared type) and reads its pixel dimensions from the header, without decoding it. Only the
 * four formats browsers show everywhere are recognised: JPEG, PNG, GIF and WebP (SVG, which can
 * carry script, is never one of them).
 */

export type ImageType = "image/jpeg" | "image/png" | "image/gif" | "image/webp";

/** What the header says about an image. */
export interface ImageInfo {
  type: ImageType;
  /** File extension for the storage key. */
  ext: "jpg" | "png" | "gif" | "webp";
  width: number;
  height: number;
}

const ascii = (b: Uint8Array, at: number, text: string) => {
  if (at + text.length > b.length) return false;
  for (let i = 0; i < text.length; i++) if (b[at + i] !== text.charCodeAt(i)) return false;
  return true;
};
const u16be = (b: Uint8Array, at: number) => ((b[at] ?? 0) << 8) | (b[at + 1] ?? 0);
const u16le = (b: Uint8Array, at: number) => (b[at] ?? 0) | ((b[at + 1] ?? 0) << 8);
const u24le = (b: Uint8Array, at: number) => u16le(b, at) | ((b[at + 2] ?? 0) << 16);
const u32be = (b: Uint8Array, at: number) => u16be(b, at) * 0x10000 + u16be(b, at + 2);
const u32le = (b: Uint8Array, at: number) => u16le(b, at) + u16le(b, at + 2) * 0x10000;

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

function png(b: Uint8Array): ImageInfo | null {
  if (b.length < 24 || PNG_SIGNATURE.some((v, i) => b[i] !== v)) return null;
  // The first chunk must be IHDR (length 13): width and height are its first two fields.
  if (u32be(b, 8) !== 13 || !ascii(b, 12, "IHDR")) return null;
  return { type: "image/png", ext: "png", width: u32be(b, 16), height: u32be(b, 20) };
}

function gif(b: Uint8Array): ImageInfo | null {
  if (b.length < 10 || !(ascii(b, 0, "GIF87a") || ascii(b, 0, "GIF89a"))) return null;
  // The logical screen descriptor: every frame is drawn inside it.
  return { type: "image/gif", ext: "gif", width: u16le(b, 6), height: u16le(b, 8) };
}

/** SOFn markers (frame headers) that carry the dimensions; C4, C8 and CC share the range but are not frames. */
const isStartOfFrame = (m: number) => m >= 0xc0 && m <= 0xcf && m !== 0xc4 && m !== 0xc8 && m !== 0xcc;

function jpeg(b: Uint8Array): ImageInfo | null {
  if (b.length < 4 || b[0] !== 0xff || b[1] !== 0xd8 || b[2] !== 0xff) return null;
  let at = 2;
  while (at + 3 < b.length) {
    if (b[at] !== 0xff) return null;
    const marker = b[at + 1] ?? 0;
    if (marker === 0xff) {
      at += 1; // fill byte
      continue;
    }
    // Markers without a length: TEM, RSTn (and a stray SOI).
    if (marker === 0x01 || marker === 0xd8 || (marker >= 0xd0 && marker <= 0xd7)) {
      at += 2;
      continue;
    }
    // Scan data or the end before any frame header: no dimensions to trust.
    if (marker === 0xda || marker === 0xd9) return null;
    const length = u16be(b, at + 2);
    if (length < 2) return null;
    if (isStartOfFrame(marker)) {
      if (at + 9 > b.length) return null;
      return { type: "image/jpeg", ext: "jpg", height: u16be(b, at + 5), width: u16be(b, at + 7) };
    }
    at += 2 + length;
  }
  return null;
}

function webp(b: Uint8Array): ImageInfo | null {
  if (b.length < 30 || !ascii(b, 0, "RIFF") || !ascii(b, 8, "WEBP")) return null;
  const info = (width: number, height: number): ImageInfo => ({
    type: "image/webp",
    ext: "webp",
    width,
    height,
  });
  if (ascii(b, 12, "VP8 ")) {
    // Lossy: a 3-byte frame tag, the start code 9D 01 2A, then 14-bit width and height.
    if (b[23] !== 0x9d || b[24] !== 0x01 || b[25] !== 0x2a) return null;
    return info(u16le(b, 26) & 0x3fff, u16le(b, 28) & 0x3fff);
  }
  if (ascii(b, 12, "VP8L")) {
    // Lossless: signature 0x2F, then width-1 and height-1 in 14 bits each.
    if (b[20] !== 0x2f) return null;
    const bits = u32le(b, 21);
    return info((bits & 0x3fff) + 1, ((bits >>> 14) & 0x3fff) + 1);
  }
  if (ascii(b, 12, "VP8X")) {
    // Extended: canvas width-1 and height-1 as 24-bit little-endian values.
    return info(u24le(b, 24) + 1, u24le(b, 27) + 1);
  }
  return null;
}

/**
 * The image type and pixel dimensions of `bytes`, from the content alone; null when it is not a
 * JPEG, PNG, GIF or WebP whose header can be read (or declares a zero dimension).
 *
 * @example
 * const info = sniffImage(new Uint8Array(await file.arrayBuffer()));
 * if (!info) throw unsupportedMediaType();
 */
export function sniffImage(bytes: Uint8Array): ImageInfo | null {
  const info = png(bytes) ?? gif(bytes) ?? jpeg(bytes) ?? webp(bytes);
  return info && info.width > 0 && info.height > 0 ? info : null;
}
