/**
 * `npm run check:security-map`: every test that docs/SECURITY.md names as proof must exist.
 *
 * A reference is a code span of the form `test/path/file.test.ts › describe › … › test title`: the
 * file, then the titles of the enclosing `describe` blocks from the outermost in, then the test's own
 * title, exactly as written in the source (a `.each` title keeps its `%s`; a template literal keeps
 * its `${…}`). The test files are parsed with the TypeScript compiler (nothing is run), and a
 * reference counts only when a `describe`/`it`/`test` call with that very title sits inside exactly
 * those `describe` blocks. A skipped or todo test proves nothing, so it does not count.
 *
 * Usage: tsx scripts/check-security-map.ts [--doc docs/SECURITY.md] [--root .]
 * Exit codes: 0 every reference found; 1 some are missing (each is named); 2 bad usage or a document
 * without any reference (a map that names nothing cannot be checked).
 */
import { existsSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import ts from "typescript";

/** The separator between the file and the titles in a reference. */
export const SEPARATOR = " › ";

export interface Reference {
  /** 1-based line in the document. */
  line: number;
  /** The reference as written, for messages. */
  text: string;
  file: string;
  describes: string[];
  title: string;
}

export interface DeclaredTest {
  describes: string[];
  title: string;
  /** `.skip` / `.todo` (or `x`-prefixed): declared, but it asserts nothing. */
  skipped: boolean;
}

export interface MissingReference {
  reference: Reference;
  reason: string;
}

export interface CheckResult {
  references: Reference[];
  missing: MissingReference[];
}

const TEST_FUNCTIONS = new Set(["it", "test"]);
const SUITE_FUNCTIONS = new Set(["describe", "suite"]);
const SKIPPING_MODIFIERS = new Set(["skip", "todo"]);

/**
 * A Markdown code span: a run of backticks, the content, the same run again. A title that holds a
 * backtick is written in a double-backtick span with a space inside each end, as CommonMark has it.
 */
const CODE_SPAN = /(?<!`)(`+)(?!`)(.+?)(?<!`)\1(?!`)/g;

/** The content of a code span, with the one space CommonMark strips from each end when both have it. */
function spanContent(raw: string): string {
  return raw.length > 2 && raw.startsWith(" ") && raw.endsWith(" ") ? raw.slice(1, -1) : raw;
}

/**
 * Every code span holding the separator is a reference (one line each). In a Markdown table a `|`
 * inside a title is written `\|`; it is read back as `|`.
 */
export function parseReferences(markdown: string): Reference[] {
  const references: Reference[] = [];
  for (const [index, line] of markdown.split("\n").entries()) {
    for (const match of line.matchAll(CODE_SPAN)) {
      const text = spanContent(match[2] as string).replaceAll("\\|", "|");
      if (!text.includes(SEPARATOR)) continue;
      const [file, ...titles] = text.split(SEPARATOR).map((part) => part.trim());
      references.push({
        line: index + 1,
        text,
        file: file as string,
        describes: titles.slice(0, -1),
        title: titles.at(-1) as string,
      });
    }
  }
  return references;
}

/**
 * The name a call is made through and its modifiers: `it.each(rows)("t", fn)` is `it` with
 * `["each"]`, `describe.runIf(x)("t", fn)` is `describe` with `["runIf"]`.
 */
function calleeChain(expression: ts.Expression): { name: string; modifiers: string[] } | undefined {
  const modifiers: string[] = [];
  let node: ts.Expression = expression;
  for (;;) {
    if (ts.isCallExpression(node)) node = node.expression;
    else if (ts.isPropertyAccessExpression(node)) {
      modifiers.unshift(node.name.text);
      node = node.expression;
    } else if (ts.isIdentifier(node)) return { name: node.text, modifiers };
    else return undefined;
  }
}

/** A title as written: a string's value, or a template literal's source between the backticks. */
function titleText(node: ts.Expression | undefined, source: ts.SourceFile): string | undefined {
  if (!node) return undefined;
  if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) return node.text;
  if (ts.isTemplateExpression(node)) return node.getText(source).slice(1, -1);
  return undefined;
}

/** Every test declared in a test file, with the titles of the `describe` blocks around it. */
export function declaredTests(fileName: string, code: string): DeclaredTest[] {
  const source = ts.createSourceFile(fileName, code, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const tests: DeclaredTest[] = [];
  const visit = (node: ts.Node, describes: string[], skipped: boolean): void => {
    if (ts.isCallExpression(node)) {
      const chain = calleeChain(node.expression);
      const title = titleText(node.arguments[0], source);
      if (chain && title !== undefined) {
        const base = chain.name.replace(/^[xf](?=describe$|it$|test$)/, "");
        const skips =
          skipped || chain.name.startsWith("x") || chain.modifiers.some((m) => SKIPPING_MODIFIERS.has(m));
        if (TEST_FUNCTIONS.has(base)) {
          tests.push({ describes, title, skipped: skips });
          return;
        }
        if (SUITE_FUNCTIONS.has(base)) {
          for (const argument of node.arguments.slice(1)) visit(argument, [...describes, title], skips);
          return;
        }
      }
    }
    ts.forEachChild(node, (child) => visit(child, describes, skipped));
  };
  visit(source, [], false);
  return tests;
}

const sameTitles = (a: string[], b: string[]) => a.length === b.length && a.every((t, i) => t === b[i]);

/** Checks every reference of `markdown` against the test files under `root`. */
export function checkReferences(markdown: string, root: string): CheckResult {
  const references = parseReferences(markdown);
  const cache = new Map<string, DeclaredTest[]>();
  const missing: MissingReference[] = [];
  for (const reference of references) {
    const path = resolve(root, reference.file);
    if (!reference.file.startsWith("test/") || !existsSync(path)) {
      missing.push({ reference, reason: `no test file ${reference.file}` });
      continue;
    }
    let tests = cache.get(path);
    if (!tests) {
      tests = declaredTests(path, readFileSync(path, "utf8"));
      cache.set(path, tests);
    }
    const found = tests.filter(
      (t) => t.title === reference.title && sameTitles(t.describes, reference.describes),
    );
    if (found.length === 0) {
      const elsewhere = tests.filter((t) => t.title === reference.title);
      missing.push({
        reference,
        reason:
          elsewhere.length > 0
            ? `the test exists, but inside ${elsewhere.map((t) => JSON.stringify(t.describes.join(SEPARATOR))).join(", ")}`
            : `no test titled ${JSON.stringify(reference.title)} in ${reference.file}`,
      });
    } else if (found.every((t) => t.skipped)) {
      missing.push({ reference, reason: "the test is skipped (.skip/.todo), so it proves nothing" });
    }
  }
  return { references, missing };
}

function main(): number {
  const { values } = parseArgs({
    options: { doc: { type: "string", default: "docs/SECURITY.md" }, root: { type: "string", default: "." } },
  });
  const root = resolve(values.root as string);
  const docPath = resolve(root, values.doc as string);
  if (!existsSync(docPath)) {
    console.error(`check-security-map: no document at ${docPath}`);
    return 2;
  }
  const { references, missing } = checkReferences(readFileSync(docPath, "utf8"), root);
  if (references.length === 0) {
    console.error(
      `check-security-map: ${values.doc} names no test (\`file${SEPARATOR}describe${SEPARATOR}test\`)`,
    );
    return 2;
  }
  const files = new Set(references.map((r) => r.file)).size;
  for (const { reference, reason } of missing)
    console.error(`${values.doc}:${reference.line}: missing test \`${reference.text}\`: ${reason}`);
  const summary = `${references.length} references checked (${files} test file${files === 1 ? "" : "s"}), ${missing.length} missing`;
  if (missing.length > 0) {
    console.error(`check-security-map: ${summary}`);
    return 1;
  }
  console.log(`check-security-map: ${summary}`);
  return 0;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = main();
}
