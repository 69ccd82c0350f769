/**
 * The budget checker (`npm run budgets`, scripts/budgets.ts): its pieces on fabricated inputs, then
 * the real thing as CI runs it, a child process building the Worker with wrangler, once within the
 * ceilings and once with the size ceiling lowered below the bundle.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { CEILINGS, resolveCeilings } from "../../scripts/budgets/ceilings.ts";
import {
  contributorOf,
  contributors,
  exceededBudgets,
  type Metafile,
  summarizeStartupProfile,
  ZOD_LOCALES_ALIAS,
  zodLocaleProblems,
} from "../../scripts/budgets/measure.ts";
import { runScript } from "../helpers/run-script.ts";

describe("ceilings", () => {
  it("default to scripts/budgets/ceilings.ts, overridden by the environment, then by a flag", () => {
    expect(resolveCeilings({}, [])).toEqual({ workerBundleGzipKiB: CEILINGS.workerBundleGzipKiB });
    expect(resolveCeilings({ BUDGET_WORKER_GZIP_KIB: "100" }, [])).toEqual({ workerBundleGzipKiB: 100 });
    expect(resolveCeilings({ BUDGET_WORKER_GZIP_KIB: "100" }, ["--worker-gzip-kib=50"])).toEqual({
      workerBundleGzipKiB: 50,
    });
    expect(resolveCeilings({}, ["--worker-gzip-kib", "75.5"])).toEqual({ workerBundleGzipKiB: 75.5 });
  });

  it("refuses a ceiling that is not a positive number", () => {
    expect(() => resolveCeilings({ BUDGET_WORKER_GZIP_KIB: "lots" }, [])).toThrow(
      'BUDGET_WORKER_GZIP_KIB must be a positive number, got "lots"',
    );
    expect(() => resolveCeilings({}, ["--worker-gzip-kib=0"])).toThrow(
      "--worker-gzip-kib must be a positive",
    );
  });

  it("an exceeded ceiling is one message naming the budget; a met one is none", () => {
    const ceilings = { workerBundleGzipKiB: 275 };
    expect(exceededBudgets({ workerBundleGzipBytes: 275 * 1024 }, ceilings)).toEqual([]);
    expect(exceededBudgets({ workerBundleGzipBytes: Math.round(290.1 * 1024) }, ceilings)).toEqual([
      "budget exceeded: worker bundle gzip 290.1 KiB > 275 KiB",
    ]);
  });
});

describe("where the bytes come from", () => {
  const metafile: Metafile = {
    inputs: {
      "node_modules/zod/v4/classic/external.js": { bytes: 1, imports: [{ path: ZOD_LOCALES_ALIAS }] },
      "node_modules/zod/v4/core/index.js": { bytes: 1, imports: [{ path: ZOD_LOCALES_ALIAS }] },
      [ZOD_LOCALES_ALIAS]: { bytes: 1, imports: [{ path: "node_modules/zod/v4/locales/en.js" }] },
    },
    outputs: {
      "dist/worker/index.js": {
        bytes: 1000,
        entryPoint: "src/index.ts",
        inputs: {
          "node_modules/zod/v4/core/schemas.js": { bytesInOutput: 300 },
          "node_modules/zod/v4/locales/en.js": { bytesInOutput: 50 },
          "node_modules/@neondatabase/serverless/index.mjs": { bytesInOutput: 400 },
          "src/features/auth/auth.service.ts": { bytesInOutput: 120 },
          "src/features/auth/auth.routes.ts": { bytesInOutput: 30 },
          "src/index.ts": { bytesInOutput: 10 },
          "node_modules/zod/v4/locales/de.js": { bytesInOutput: 0 },
        },
      },
    },
  };

  it("groups by npm package (zod's locales apart) and src/ folder, other modules as themselves", () => {
    expect(contributorOf("node_modules/@upstash/redis/chunk-X.mjs")).toBe("@upstash/redis");
    expect(contributorOf("node_modules/zod/v4/locales/de.js")).toBe("zod (locales)");
    expect(contributorOf("src/services/rate-limit/upstash.ts")).toBe("src/services/rate-limit");
    expect(contributorOf("<runtime>")).toBe("<runtime>");
    const modules = [
      { name: "index.js", bytes: 1000, gzipBytes: 300 },
      { name: "argon2.wasm", bytes: 200, gzipBytes: 90 },
    ];
    expect(contributors(metafile, modules)).toEqual([
      { name: "@neondatabase/serverless", bytes: 400 },
      { name: "zod", bytes: 300 },
      { name: "argon2.wasm (module)", bytes: 200 },
      { name: "src/features/auth", bytes: 150 },
      { name: "zod (locales)", bytes: 50 },
      { name: "src", bytes: 10 },
    ]);
  });

  it("zod's locale alias: fine when only zod reaches it and only English is bundled", () => {
    expect(zodLocaleProblems(metafile)).toEqual([]);
  });

  it("zod's locale alias: names an import outside zod it caught, and other locales in the bundle", () => {
    const broken = structuredClone(metafile);
    broken.inputs["node_modules/some-i18n/dist/index.js"] = {
      bytes: 1,
      imports: [{ path: ZOD_LOCALES_ALIAS }],
    };
    const inputs = broken.outputs["dist/worker/index.js"]!.inputs;
    inputs["node_modules/zod/v4/locales/de.js"] = { bytesInOutput: 4000 };
    inputs["node_modules/zod/v4/locales/fr.js"] = { bytesInOutput: 4000 };
    expect(zodLocaleProblems(broken)).toEqual([
      "the zod locale alias (wrangler.toml [alias]) also replaced an import of node_modules/some-i18n/dist/index.js",
      "zod locales other than English are bundled (2: de.js, fr.js): the [alias] in wrangler.toml no longer applies",
    ]);
  });
});

describe("start-up profile summary", () => {
  it("counts every non-idle sample as active, garbage collection included (as wrangler check startup)", () => {
    const profile = {
      nodes: [
        { id: 1, callFrame: { functionName: "(idle)" } },
        { id: 2, callFrame: { functionName: "(program)" } },
        { id: 3, callFrame: { functionName: "(garbage collector)" } },
        { id: 4, callFrame: { functionName: "createApp" } },
      ],
      startTime: 0,
      endTime: 100_000,
      samples: [1, 2, 4, 4, 3, 1],
      timeDeltas: [40_000, 5_000, 20_000, 15_000, 4_000, 1_000],
    };
    expect(summarizeStartupProfile(profile)).toEqual({
      activeMs: 44,
      garbageCollectionMs: 4,
      idleMs: 41,
      samples: 6,
    });
  });
});

describe("npm run budgets, as CI runs it", { timeout: 180_000 }, () => {
  const outdir = mkdtempSync(join(tmpdir(), "budgets-"));
  afterAll(() => rmSync(outdir, { recursive: true, force: true }));

  const budgets = (args: string[]) =>
    runScript("scripts/budgets.ts", ["--outdir", outdir, ...args], {
      env: { ...process.env, BUDGET_WORKER_GZIP_KIB: "" },
    });

  it("passes within the ceilings, printing the sizes, the top 15 contributors and the start-up CPU", async () => {
    const run = await budgets(["--startup-runs", "1"]);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    const total = /total\s+[\d,]+ bytes\s+([\d.]+) KiB gzip -9/.exec(run.stdout);
    expect(Number(total?.[1]), run.stdout).toBeLessThanOrEqual(CEILINGS.workerBundleGzipKiB);
    expect(run.stdout).toContain("Top 15 contributors (raw minified bytes");
    expect(run.stdout.match(/^\s+\d+\. \S+/gm)).toHaveLength(15);
    expect(run.stdout).toMatch(
      /Start-up CPU \(wrangler check startup.*\n\s+active \d+(\.\d)? ms in the least disturbed of 1 runs/,
    );
    expect(run.stdout).toContain(
      `budgets met: worker bundle gzip ${total?.[1]} KiB <= ${CEILINGS.workerBundleGzipKiB} KiB`,
    );
    // The list is a static asset now, and zod ships English only.
    expect(run.stdout).not.toContain("common-passwords");
    expect(run.stdout).not.toContain("zod (locales)");
  });

  it("fails with a ceiling below the bundle, naming the budget", async () => {
    const run = await budgets(["--startup-runs", "0", "--worker-gzip-kib", "100"]);
    expect(run.code, run.stdout + run.stderr).toBe(1);
    expect(run.stderr).toMatch(/^budget exceeded: worker bundle gzip \d+\.\d KiB > 100 KiB$/m);
    expect(run.stdout).not.toContain("budgets met");
  });
});
