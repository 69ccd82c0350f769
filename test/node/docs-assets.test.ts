/**
 * scripts/docs-assets.ts on a scratch project: real files in a temporary node_modules, copied into
 * its public/ the way wrangler's custom build and vitest.config.ts copy the installed ones.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { copyDocsAssets, DOCS_VENDOR_FILES } from "../../scripts/docs-assets.ts";

const LOGO = 'src:"https://cdn.redoc.ly/redoc/logo-mini.svg"';
const roots: string[] = [];

/** A project whose node_modules holds every vendor file; ReDoc's bundle gets `redocBundle`. */
function scratchProject(redocBundle: string): string {
  const root = mkdtempSync(join(tmpdir(), "docs-assets-"));
  roots.push(root);
  writeFileSync(join(root, "package.json"), "{}");
  for (const [pkg, file] of DOCS_VENDOR_FILES) {
    const path = join(root, "node_modules", pkg, file);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(join(root, "node_modules", pkg, "package.json"), JSON.stringify({ name: pkg }));
    writeFileSync(path, file === "bundles/redoc.standalone.js" ? redocBundle : `${pkg}/${file}`);
  }
  return root;
}

afterEach(() => {
  for (const root of roots.splice(0)) rmSync(root, { recursive: true, force: true });
});

describe("docs assets copy", () => {
  it("copies every vendor file into public/, ReDoc's without the CDN logo, and then nothing while unchanged", () => {
    const root = scratchProject(`a(){return e?x("img",{${LOGO}}):null}`);
    const copied = copyDocsAssets(root);
    expect(copied).toHaveLength(DOCS_VENDOR_FILES.length);
    for (const [pkg, file, destination] of DOCS_VENDOR_FILES) {
      const copy = readFileSync(join(root, "public", destination), "utf8");
      if (file === "bundles/redoc.standalone.js")
        expect(copy).toBe('a(){return e?x("img",{src:"data:,"}):null}');
      else expect(copy).toBe(`${pkg}/${file}`);
    }
    expect(copyDocsAssets(root)).toEqual([]);

    // An upgrade (new content) is copied again.
    writeFileSync(join(root, "node_modules/swagger-ui-dist/swagger-ui.css"), "new");
    expect(copyDocsAssets(root)).toEqual(["public/api/docs/vendor/swagger-ui.css"]);
  });

  it.each([
    ["without the logo", "a(){return null}", 0],
    ["with the logo twice", `${LOGO}${LOGO}`, 2],
  ])("stops on a ReDoc bundle %s instead of shipping it unedited", (_, bundle, times) => {
    const root = scratchProject(bundle);
    expect(() => copyDocsAssets(root)).toThrow(
      `expected "${LOGO}" once in api/redoc/vendor/redoc.standalone.js, found it ${times} times`,
    );
    expect(existsSync(join(root, "public/api/redoc/vendor/redoc.standalone.js"))).toBe(false);
  });
});
