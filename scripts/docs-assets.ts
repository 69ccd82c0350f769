/**
 * Copies the API docs' vendor files (Swagger UI from `swagger-ui-dist`, ReDoc's standalone bundle
 * from `redoc`) out of node_modules into `public/`, where Workers static assets serve them from this
 * origin. The lockfile pins their versions; git ignores the copies (the `vendor/` folders).
 *
 * Runs as wrangler's custom build (so `wrangler dev`, `npm run dev`, `wrangler deploy` and the
 * dry-run build all have them) and from vitest.config.ts (the tests serve them too).
 *
 * @example
 * npx tsx scripts/docs-assets.ts   # prints what it copied
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync } from "node:fs";
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

/** Copies every vendor file whose copy is missing or differs; returns what it copied. */
export function copyDocsAssets(root = ROOT): string[] {
  const require = createRequire(join(root, "package.json"));
  const copied: string[] = [];
  for (const [pkg, file, destination] of DOCS_VENDOR_FILES) {
    const source = join(dirname(require.resolve(`${pkg}/package.json`)), file);
    const target = join(root, "public", destination);
    if (upToDate(source, target)) continue;
    mkdirSync(dirname(target), { recursive: true });
    copyFileSync(source, target);
    copied.push(`public/${destination}`);
  }
  return copied;
}

/** By content: npm gives every installed file the same old mtime, so dates cannot tell versions apart. */
function upToDate(source: string, target: string): boolean {
  return existsSync(target) && readFileSync(source).equals(readFileSync(target));
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const copied = copyDocsAssets();
  console.log(copied.length ? `docs assets: copied ${copied.join(", ")}` : "docs assets: up to date");
}
