/**
 * The round-trip budget's logic (test/helpers/round-trip-budget.ts) on the real document and on
 * fabricated measurements. The measuring itself is test/integration/budgets/round-trips.test.ts.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  budgetKey,
  budgetsWithoutOperation,
  exceededRoundTripBudgets,
  parseRoundTripBudgets,
  unbudgetedOperations,
} from "../helpers/round-trip-budget.ts";

const doc = readFileSync("docs/database-round-trips.md", "utf8");

describe("docs/database-round-trips.md as budgets", () => {
  const budgets = parseRoundTripBudgets(doc);
  const max = (key: string) => budgets.find((b) => budgetKey(b) === key)?.max;

  it("reads every table: routes, cases and the first number of the row", () => {
    expect(max("GET /api/v1/users/me")).toBe(1);
    expect(max("POST /api/v1/auth/login (success)")).toBe(2);
    expect(max("POST /api/v1/auth/login (failure)")).toBe(2);
    // "1 (2 with `email`)": the plain request's budget; the e-mail case has its own row below.
    expect(max("PATCH /api/v1/users/me")).toBe(1);
    expect(max("PATCH /api/v1/users/me (with email)")).toBe(2);
    expect(max("POST /api/v1/billing/checkout (first time)")).toBe(2);
    expect(max("GET /api/v1/avatars/{key}")).toBe(0);
    expect(max("GET /api/v1/dev/mailbox (development only)")).toBe(1);
    // Two routes in one cell share the row's number.
    expect(max("GET /api/v1/auth/verify/{token}")).toBe(1);
    expect(max("POST /api/v1/auth/verify-email")).toBe(1);
    expect(max("GET /health")).toBe(1);
    expect(max("GET /api/v1/health")).toBe(1);
    expect(budgets.length).toBeGreaterThanOrEqual(48);
  });

  it("a measurement within its budget passes; one over it fails naming the budget", () => {
    const within = [
      { key: "POST /api/v1/auth/login (success)", roundTrips: 2 },
      { key: "GET /api/v1/users/me", roundTrips: 1 },
      { key: "GET /api/v1/avatars/{key}", roundTrips: 0 },
    ];
    expect(exceededRoundTripBudgets(budgets, within)).toEqual([]);
    const over = [
      { key: "POST /api/v1/auth/login (success)", roundTrips: 3 },
      { key: "GET /api/v1/users/me", roundTrips: 1 },
      { key: "GET /api/v1/avatars/{key}", roundTrips: 1 },
    ];
    expect(exceededRoundTripBudgets(budgets, over)).toEqual([
      "budget exceeded: database round trips of POST /api/v1/auth/login (success): 3 > 2",
      "budget exceeded: database round trips of GET /api/v1/avatars/{key}: 1 > 0",
    ]);
  });

  it("a lowered number in the document turns the same measurement into a failure", () => {
    const lowered = doc.replace(
      /^(\| `GET \/api\/v1\/users\/me`\s+\| )\*\*1\*\*/m,
      (_m, start: string) => `${start}**0**`,
    );
    expect(lowered).not.toBe(doc);
    const measured = [{ key: "GET /api/v1/users/me", roundTrips: 1 }];
    expect(exceededRoundTripBudgets(budgets, measured)).toEqual([]);
    expect(exceededRoundTripBudgets(parseRoundTripBudgets(lowered), measured)).toEqual([
      "budget exceeded: database round trips of GET /api/v1/users/me: 1 > 0",
    ]);
  });

  it("a measurement of something the document does not budget is reported", () => {
    expect(exceededRoundTripBudgets(budgets, [{ key: "GET /api/v1/nowhere", roundTrips: 0 }])).toEqual([
      "no round-trip budget for GET /api/v1/nowhere in docs/database-round-trips.md",
    ]);
  });

  it("names operations without a budget, and budgets without an operation", () => {
    const operations = [...new Set(budgets.map((b) => b.route)), "DELETE /api/v1/things/{id}"].filter(
      (op) => op !== "GET /metrics",
    );
    expect(unbudgetedOperations(budgets, operations)).toEqual(["DELETE /api/v1/things/{id}"]);
    expect(budgetsWithoutOperation(budgets, operations)).toEqual(["GET /metrics"]);
  });
});

describe("parsing rules", () => {
  const table = (rows: string) =>
    `# T\n\n| endpoint | round trips | how |\n| --- | --- | --- |\n${rows}\nafter the table\n`;

  it("ignores tables that are not budget tables and reads bold numbers", () => {
    const md = `| a | b |\n| - | - |\n| \`GET /x\` | 5 |\n\n${table("| `GET /y` (warm) | **3** (4 cold) | why |")}`;
    expect(parseRoundTripBudgets(md)).toEqual([{ route: "GET /y", case: "warm", max: 3 }]);
  });

  it("refuses a row without a route or without a number, and a route and case given twice", () => {
    expect(() => parseRoundTripBudgets(table("| `GET .../short` | 1 | x |"))).toThrow(
      "round-trip budget row not understood",
    );
    expect(() => parseRoundTripBudgets(table("| `GET /x` | one | x |"))).toThrow(
      "round-trip budget row not understood",
    );
    expect(() => parseRoundTripBudgets(table("| `GET /x` | 1 | x |\n| `GET /x` | 2 | y |"))).toThrow(
      "round-trip budget for GET /x given twice",
    );
  });
});
