/**
 * `npm run check:security-map` (scripts/check-security-map.ts) as CI runs it: a child process over
 * docs/SECURITY.md, and over fabricated documents and test trees in a temporary directory.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { checkReferences, declaredTests, parseReferences } from "../../scripts/check-security-map.ts";
import { runScript } from "../helpers/run-script.ts";

/** Runs the checker with `args` from the repository root. */
const checkMap = (args: string[] = []) => runScript("scripts/check-security-map.ts", args);

const scratch = mkdtempSync(join(tmpdir(), "security-map-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** Writes `files` (path → content) under a fresh directory and returns it. */
function tree(files: Record<string, string>): string {
  const root = mkdtempSync(join(scratch, "tree-"));
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(join(root, path, ".."), { recursive: true });
    writeFileSync(join(root, path), content);
  }
  return root;
}

const FIXTURE_TESTS = `
import { describe, it, test } from "vitest";
const alg = "EdDSA";
describe("outer", () => {
  it("plain title", () => {});
  describe("inner", () => {
    test("nested title", () => {});
    it.each([1, 2])("row %s", () => {});
    it(\`template with \${alg}\`, () => {});
    it("title with \`code\` and a | pipe", () => {});
  });
  it.skip("skipped title", () => {});
  it.todo("todo title");
});
describe.each(["a", "b"])("table %s", () => {
  describe.runIf(true)("conditional", () => {
    it("deep title", () => {});
  });
});
it("top-level title", () => {});
`;

describe("check-security-map on docs/SECURITY.md", () => {
  it("finds every test the map names, and says how many it checked", async () => {
    const expected = parseReferences(readFileSync("docs/SECURITY.md", "utf8")).length;
    expect(expected, "the map names tests").toBeGreaterThan(100);
    const { code, stdout, stderr } = await checkMap();
    expect(code, stderr).toBe(0);
    expect(stdout).toMatch(
      new RegExp(`^check-security-map: ${expected} references checked \\(\\d+ test files\\), 0 missing`),
    );
  });
});

describe("check-security-map on a map with missing tests", () => {
  it("exits 1 and names each missing reference with its line, not the ones that exist", async () => {
    const real =
      "test/integration/auth/auth.happy.test.ts › logout › logout-all ends every session of the user";
    const missingTitle = "test/integration/auth/auth.happy.test.ts › logout › logout ends the universe";
    const wrongDescribe =
      "test/integration/auth/auth.happy.test.ts › login › logout-all ends every session of the user";
    const missingFile =
      "test/integration/auth/nowhere.test.ts › logout › logout-all ends every session of the user";
    const doc = join(scratch, "broken.md");
    writeFileSync(
      doc,
      [
        "# Map",
        `- \`${real}\``,
        `- \`${missingTitle}\``,
        "",
        `- \`${wrongDescribe}\` and \`${missingFile}\``,
      ].join("\n"),
    );
    const { code, stdout, stderr } = await checkMap(["--doc", doc]);
    expect(code, stdout + stderr).toBe(1);
    expect(stderr).toContain(
      `:3: missing test \`${missingTitle}\`: no test titled "logout ends the universe"`,
    );
    expect(stderr).toContain(`:5: missing test \`${wrongDescribe}\`: the test exists, but inside "logout"`);
    expect(stderr).toContain(
      `:5: missing test \`${missingFile}\`: no test file test/integration/auth/nowhere.test.ts`,
    );
    expect(stderr).not.toContain(`:2:`);
    expect(stderr).toContain("4 references checked (2 test files), 3 missing");
  });

  it("does not count a skipped or todo test as proof", () => {
    const root = tree({ "test/fixture.test.ts": FIXTURE_TESTS });
    const { missing } = checkReferences(
      "- `test/fixture.test.ts › outer › skipped title`\n- `test/fixture.test.ts › outer › todo title`\n",
      root,
    );
    expect(missing.map(({ reference, reason }) => [reference.line, reference.title, reason])).toEqual([
      [1, "skipped title", "the test is skipped (.skip/.todo), so it proves nothing"],
      [2, "todo title", "the test is skipped (.skip/.todo), so it proves nothing"],
    ]);
  });

  it("exits 2 for a missing document, and for one that names no test", async () => {
    const root = tree({ "docs/plain.md": "# Nothing here\n\nSome `code`, but no test named.\n" });
    const absent = await checkMap(["--root", root, "--doc", "docs/missing.md"]);
    expect(absent.code).toBe(2);
    expect(absent.stderr).toContain("no document at");
    const none = await checkMap(["--root", root, "--doc", "docs/plain.md"]);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain("names no test");
  });
});

describe("reading test titles and references", () => {
  it("gives every test with the describe titles around it, as written in the source", () => {
    const found = declaredTests("fixture.test.ts", FIXTURE_TESTS).map(
      (t) => `${[...t.describes, t.title].join(" › ")}${t.skipped ? " (skipped)" : ""}`,
    );
    expect(found).toEqual([
      "outer › plain title",
      "outer › inner › nested title",
      "outer › inner › row %s",
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a template literal's title, as written
      "outer › inner › template with ${alg}",
      "outer › inner › title with `code` and a | pipe",
      "outer › skipped title (skipped)",
      "outer › todo title (skipped)",
      "table %s › conditional › deep title",
      "top-level title",
    ]);
  });

  it("reads references from single and double backtick spans, with \\| as a pipe", () => {
    const refs = parseReferences(
      [
        "| `test/a.test.ts › d › x \\| y` | `not › a test` is one too |",
        "see `` test/b.test.ts › title with `code` `` and `plain code`",
      ].join("\n"),
    );
    expect(refs.map(({ line, file, describes, title }) => ({ line, file, describes, title }))).toEqual([
      { line: 1, file: "test/a.test.ts", describes: ["d"], title: "x | y" },
      { line: 1, file: "not", describes: [], title: "a test" },
      { line: 2, file: "test/b.test.ts", describes: [], title: "title with `code`" },
    ]);
  });

  it("finds titles with a pipe, backticks, a template or a .each table, at any depth", () => {
    const root = tree({ "test/fixture.test.ts": FIXTURE_TESTS });
    const { references, missing } = checkReferences(
      [
        "| proof |",
        "|---|",
        "| `` test/fixture.test.ts › outer › inner › title with `code` and a \\| pipe `` |",
        "- `test/fixture.test.ts › table %s › conditional › deep title`",
        // biome-ignore lint/suspicious/noTemplateCurlyInString: a template literal's title, as written
        "- `test/fixture.test.ts › outer › inner › template with ${alg}`",
        "- `test/fixture.test.ts › outer › inner › row %s`",
        "- `test/fixture.test.ts › top-level title`",
      ].join("\n"),
      root,
    );
    expect(references).toHaveLength(5);
    expect(missing).toEqual([]);
  });
});
