/**
 * The database round-trip budgets of docs/database-round-trips.md, read from its tables, and the
 * comparisons the budget test makes. Pure (no Worker or Node imports): the workers test measures, a
 * node test checks the logic on fabricated measurements.
 *
 * A budget table is a Markdown table whose first two header cells are `endpoint` and `round trips`.
 * In each row, every `` `METHOD /path` `` of the first cell is a route; the rest of that cell (without
 * parentheses and backticks) names the case, e.g. `success` or `with email`; the first whole number
 * of the second cell is the budget.
 */

/** The most round trips one request of `route` (in the named case) may cost. */
export interface RoundTripBudget {
  /** `METHOD /path`, the path as in the OpenAPI document: `GET /api/v1/users/{id}`. */
  route: string;
  /** The case the row is about (`success`, `with email`), or "" for the route's plain request. */
  case: string;
  max: number;
}

/** One measured request. */
export interface RoundTripMeasurement {
  /** The budget's key (see `budgetKey`). */
  key: string;
  roundTrips: number;
}

/** `POST /api/v1/auth/login (success)`, or the route alone when the row names no case. */
export const budgetKey = (b: Pick<RoundTripBudget, "route" | "case">): string =>
  b.case ? `${b.route} (${b.case})` : b.route;

const ROUTE = /`((?:GET|POST|PUT|PATCH|DELETE) \/[^`\s]*)`/g;

const cellsOf = (line: string): string[] =>
  line
    .trim()
    .replace(/^\||\|$/g, "")
    .split("|")
    .map((c) => c.trim());

/**
 * Every budget in the document, in order. Throws on a row it cannot read (no route, no number) or
 * on the same route and case twice, so a malformed edit fails loudly instead of dropping a budget.
 */
export function parseRoundTripBudgets(markdown: string): RoundTripBudget[] {
  const budgets: RoundTripBudget[] = [];
  const seen = new Set<string>();
  const lines = markdown.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const header = cellsOf(lines[i] as string);
    if (!(lines[i]?.startsWith("|") && header[0] === "endpoint" && header[1] === "round trips")) continue;
    // Skip the header and its separator; the rows run until the first line that is not a table row.
    for (i += 2; i < lines.length && lines[i]?.startsWith("|"); i++) {
      const line = lines[i] as string;
      const [endpoint = "", trips = ""] = cellsOf(line);
      const routes = [...endpoint.matchAll(ROUTE)].map((m) => m[1] as string);
      const max = /\d+/.exec(trips.replaceAll("*", ""));
      if (routes.length === 0 || !max) throw new Error(`round-trip budget row not understood: ${line}`);
      const caseName = endpoint
        .replace(ROUTE, "")
        .replace(/[(),`]/g, " ")
        .replace(/\s+/g, " ")
        .trim();
      for (const route of routes) {
        const budget = { route, case: caseName, max: Number(max[0]) };
        const key = budgetKey(budget);
        if (seen.has(key)) throw new Error(`round-trip budget for ${key} given twice`);
        seen.add(key);
        budgets.push(budget);
      }
    }
  }
  return budgets;
}

/**
 * One line per measurement over its budget, naming the budget:
 * `budget exceeded: database round trips of POST /api/v1/auth/login (success): 3 > 2`. A measurement
 * of something without a budget is reported too.
 */
export function exceededRoundTripBudgets(
  budgets: readonly RoundTripBudget[],
  measurements: readonly RoundTripMeasurement[],
): string[] {
  const byKey = new Map(budgets.map((b) => [budgetKey(b), b.max]));
  const problems: string[] = [];
  for (const { key, roundTrips } of measurements) {
    const max = byKey.get(key);
    if (max === undefined) problems.push(`no round-trip budget for ${key} in docs/database-round-trips.md`);
    else if (roundTrips > max)
      problems.push(`budget exceeded: database round trips of ${key}: ${roundTrips} > ${max}`);
  }
  return problems;
}

/** Operations (`METHOD /path`) of the OpenAPI document that no budget row names. */
export function unbudgetedOperations(
  budgets: readonly RoundTripBudget[],
  operations: readonly string[],
): string[] {
  const routes = new Set(budgets.map((b) => b.route));
  return operations.filter((op) => !routes.has(op));
}

/** Budget rows naming a route that is not an operation of the OpenAPI document (stale rows). */
export function budgetsWithoutOperation(
  budgets: readonly RoundTripBudget[],
  operations: readonly string[],
): string[] {
  const known = new Set(operations);
  return [...new Set(budgets.filter((b) => !known.has(b.route)).map((b) => b.route))];
}

/** `METHOD /path` of every operation in an OpenAPI document. */
export function operationsOf(document: { paths?: Record<string, Record<string, unknown>> }): string[] {
  const methods = new Set(["get", "put", "post", "delete", "patch", "head", "options", "trace"]);
  return Object.entries(document.paths ?? {}).flatMap(([path, item]) =>
    Object.keys(item)
      .filter((m) => methods.has(m))
      .map((m) => `${m.toUpperCase()} ${path}`),
  );
}
