/**
 * Copies the API docs' vendor files (Swagger UI from `swagger-ui-dist`, ReDoc's standalone bundle
 * from `redoc`) out of node_modules into `public/`, where Workers static assets serve them from this
 * origin, with the one edit that keeps ReDoc from loading an image from another host. The lockfile pins their versions; git ignores the copies (the `vendor/` folders).
 *
 * Runs as wrangler's custom build (so `wrangler dev`, `npm run dev`, `wrangler deploy` and the
 * dry-run build all have them) and from vitest.config.ts (the tests serve them too).
 *
 * @example
 * npx tsx scripts/docs-assets.ts   # prints what it copied
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("..", import.meta.url));

/** [package, file inside the package, destination under public/]. */
export const DOCS_VENDOR_FILES = [
  ["swagger-ui-dist", "swagger-ui-bundle.js", "api/docs/vendor/swagger-ui-bundle.js"],
  ["swagger-ui-dist", "swagger-ui.css", "api/docs/vendor/swagger-ui.css"],
  ["swagger-ui-dist", "favicon-32x32.png", "api/docs/vendor/favicon-32x32.png"],
  // Licences travel with the code: the bundles' own headers point at their .LICENSE.txt.
  ["swagger-ui-dist", "swagger-ui-bundle.js.LICENSE.txt", "api/docs/vendor/swagger-ui-bundle.js.LICENSE.txt"],
  ["swagger-ui-dist", "LICENSE", "api/docs/vendor/LICENSE"],
  ["swagger-ui-dist", "NOTICE", "api/docs/vendor/NOTICE"],
  ["redoc", "bundles/redoc.standalone.js", "api/redoc/vendor/redoc.standalone.js"],
  ["redoc", "bundles/redoc.standalone.js.LICENSE.txt", "api/redoc/vendor/redoc.standalone.js.LICENSE.txt"],
  ["redoc", "LICENSE", "api/redoc/vendor/LICENSE"],
] as const;

/**
 * Edits to a copy, each [exact text, replacement]; the text must occur exactly once, so an upgrade
 * that changes it stops the copy instead of silently shipping the original.
 */
export const DOCS_VENDOR_PATCHES: Record<string, [string, string][]> = {
  // ReDoc's sidebar footer shows Redocly's logo from its CDN (no option turns it off). `data:,` is
  // no image: the <img> fails to decode and ReDoc's own onError removes it; the text link stays.
  "api/redoc/vendor/redoc.standalone.js": [
    ['src:"https://cdn.redoc.ly/redoc/logo-mini.svg"', 'src:"data:,"'],
  ],
};

/** Copies every vendor file whose copy is missing or differs; returns what it copied. */
export function copyDocsAssets(root = ROOT): string[] {
  const require = createRequire(join(root, "package.json"));
  const copied: string[] = [];
  for (const [pkg, file, destination] of DOCS_VENDOR_FILES) {
    const source = join(dirname(require.resolve(`${pkg}/package.json`)), file);
    const target = join(root, "public", destination);
    const content = patched(destination, readFileSync(source));
    // By content: npm gives every installed file the same old mtime, so dates cannot tell versions apart.
    if (existsSync(target) && content.equals(readFileSync(target))) continue;
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, content);
    copied.push(`public/${destination}`);
  }
  return copied;
}

function patched(destination: string, content: Buffer): Buffer {
  const patches = DOCS_VENDOR_PATCHES[destination];
  if (!patches) return content;
  let text = content.toString("utf8");
  for (const [find, replace] of patches) {
    const occurrences = text.split(find).length - 1;
    if (occurrences !== 1)
      throw new Error(
        `docs assets: expected "${find}" once in ${destination}, found it ${occurrences} times`,
      );
    text = text.replace(find, () => replace);
  }
  return Buffer.from(text, "utf8");
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const copied = copyDocsAssets();
  console.log(copied.length ? `docs assets: copied ${copied.join(", ")}` : "docs assets: up to date");
}
