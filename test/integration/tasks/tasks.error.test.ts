import { describe, expect, it } from "vitest";
import { sql } from "../../helpers/db.ts";
import { createSignedInUser } from "../../helpers/factories.ts";
import { api } from "../../helpers/harness.ts";
import { recordingEnv } from "../../helpers/tasks.ts";

const post = async (json: unknown, headers: Record<string, string> = {}) => {
  const user = await createSignedInUser();
  const { env, sent } = recordingEnv();
  const res = await api("POST", "/api/v1/tasks", { token: user.tokens.access_token, json, env, headers });
  return { res, sent, user };
};

describe("POST /api/v1/tasks: invalid requests are 422 and write nothing", () => {
  it.each([
    ["duration 0", { type: "long_running", duration_seconds: 0 }],
    ["duration 301", { type: "long_running", duration_seconds: 301 }],
    ["a fractional duration", { type: "long_running", duration_seconds: 1.5 }],
    ["missing x", { type: "add", y: 1 }],
    ["a non-number", { type: "add", x: "1", y: 2 }],
    ["an unknown type", { type: "send_spam", x: 1 }],
    ["no type", { x: 1, y: 2 }],
    ["an unknown field", { type: "add", x: 1, y: 2, priority: 9 }],
    ["data that is a number", { type: "process_data", data: 5 }],
    ["data over 64 KiB", { type: "process_data", data: "a".repeat(64 * 1024) }],
    ["an array over 10,000 items", { type: "process_data", data: Array.from({ length: 10_001 }, () => 0) }],
    [
      "data nested over 32 levels",
      { type: "process_data", data: JSON.parse(`${"[".repeat(40)}${"]".repeat(40)}`) },
    ],
  ])("%s", async (_label, body) => {
    const { res, sent, user } = await post(body);
    expect(res.status, res.dump).toBe(422);
    expect(res.body.code).toBe("validation_failed");
    expect(sent).toEqual([]);
    expect(await sql`select id from tasks where user_id = ${user.id}`).toEqual([]);
  });

  it.each([
    ["empty", ""],
    ["too long", "k".repeat(256)],
    ["not printable ASCII (a tab)", "tab\there"],
  ])("an Idempotency-Key that is %s", async (_label, key) => {
    const { res } = await post({ type: "add", x: 1, y: 2 }, { "Idempotency-Key": key });
    expect(res.status, res.dump).toBe(422);
    expect(res.body.code).toBe("validation_failed");
  });

  it("accepts data just under the limits", async () => {
    const { res } = await post({ type: "process_data", data: Array.from({ length: 10_000 }, () => 1) });
    expect(res.status, res.dump).toBe(202);
  });
});

describe("task ids", () => {
  it.each(["not-a-uuid", "123", crypto.randomUUID()])("%s is 404 not_found on GET and revoke", async (id) => {
    const user = await createSignedInUser();
    for (const [method, path] of [
      ["GET", `/api/v1/tasks/${id}`],
      ["POST", `/api/v1/tasks/${id}/revoke`],
    ] as const) {
      const res = await api(method, path, { token: user.tokens.access_token });
      expect(res.status, res.dump).toBe(404);
      expect(res.body.code).toBe("not_found");
    }
  });

  it("a malformed id with a dead session is 401, not 404", async () => {
    const user = await createSignedInUser();
    await api("POST", "/api/v1/auth/logout", { token: user.tokens.access_token });
    const res = await api("GET", "/api/v1/tasks/not-a-uuid", { token: user.tokens.access_token });
    expect(res.status, res.dump).toBe(401);
  });

  it.each(["status=DONE", "limit=0", "limit=101", "skip=-1"])(
    "GET /api/v1/tasks?%s is 422",
    async (query) => {
      const user = await createSignedInUser();
      const res = await api("GET", `/api/v1/tasks?${query}`, { token: user.tokens.access_token });
      expect(res.status, res.dump).toBe(422);
      expect(res.body.code).toBe("validation_failed");
    },
  );
});

describe("malformed ids of any length", () => {
  it("a 300-character id is 404, not 422", async () => {
    const user = await createSignedInUser();
    const res = await api("GET", `/api/v1/tasks/${"a".repeat(300)}`, { token: user.tokens.access_token });
    expect(res.status, res.dump).toBe(404);
  });
});
