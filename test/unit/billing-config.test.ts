import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../src/env.ts";

const base = { ENVIRONMENT: "test", DATABASE_URL: "postgres://x@y/z", JWT_SECRET: "s".repeat(32) };

describe("CREDIT_PACKS and TASK_COST_* configuration", () => {
  it("defaults to no packs and free tasks", () => {
    const c = loadConfig({ ...base });
    expect(c.CREDIT_PACKS).toEqual([]);
    expect([c.TASK_COST_ADD, c.TASK_COST_LONG_RUNNING, c.TASK_COST_PROCESS_DATA]).toEqual([0, 0, 0]);
  });

  it("parses packs and prices", () => {
    const c = loadConfig({
      ...base,
      CREDIT_PACKS: '[{"id":"starter","credits":100,"price_id":"price_123"}]',
      TASK_COST_ADD: "2",
    });
    expect(c.CREDIT_PACKS).toEqual([{ id: "starter", credits: 100, price_id: "price_123" }]);
    expect(c.TASK_COST_ADD).toBe(2);
  });

  it.each([
    ["not JSON", { CREDIT_PACKS: "[{" }],
    ["zero credits", { CREDIT_PACKS: '[{"id":"a","credits":0,"price_id":"price_1"}]' }],
    ["not a Price id", { CREDIT_PACKS: '[{"id":"a","credits":1,"price_id":"prod_1"}]' }],
    ["an unknown member", { CREDIT_PACKS: '[{"id":"a","credits":1,"price_id":"price_1","x":1}]' }],
    [
      "repeated ids",
      {
        CREDIT_PACKS:
          '[{"id":"a","credits":1,"price_id":"price_1"},{"id":"a","credits":2,"price_id":"price_2"}]',
      },
    ],
    ["a negative task cost", { TASK_COST_ADD: "-1" }],
    ["a fractional task cost", { TASK_COST_PROCESS_DATA: "1.5" }],
  ])("refuses %s, naming the variable", (_label, vars) => {
    let error: unknown;
    try {
      loadConfig({ ...base, ...vars });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems.join(";")).toMatch(Object.keys(vars)[0] as string);
  });
});
