import { describe, expect, it } from "vitest";
import { countRoundTrips, sql } from "../../helpers/db.ts";
import { createSignedInUser } from "../../helpers/factories.ts";
import { api } from "../../helpers/harness.ts";
import { signedInWithRole } from "../../helpers/protected-routes.ts";
import { recordingEnv, startTask } from "../../helpers/tasks.ts";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe("POST /api/v1/tasks", () => {
  it("202 with the PENDING task and its Location, and the row is written before the message is queued", async () => {
    const user = await createSignedInUser();
    const { env, sent } = recordingEnv();
    const res = await api("POST", "/api/v1/tasks", {
      token: user.tokens.access_token,
      json: { type: "long_running", duration_seconds: 5 },
      env,
    });
    expect(res.status, res.dump).toBe(202);
    expect(res.body).toEqual({
      id: expect.stringMatching(UUID),
      type: "long_running",
      status: "PENDING",
      progress: 0,
      result: null,
      error: null,
      attempts: 0,
      created_at: expect.any(String),
      started_at: null,
      finished_at: null,
    });
    expect(res.headers.get("Location")).toBe(`/api/v1/tasks/${res.body.id}`);
    expect(sent).toEqual([{ kind: "task", id: res.body.id }]);
    const [row] = await sql`select user_id, input, idempotency_key from tasks where id = ${res.body.id}`;
    expect(row).toEqual({ user_id: user.id, input: { duration_seconds: 5 }, idempotency_key: null });
  });

  it("the same Idempotency-Key and body return the same task (200, Location), queued once", async () => {
    const user = await createSignedInUser();
    const { env, sent } = recordingEnv();
    const post = (json: unknown) =>
      api("POST", "/api/v1/tasks", {
        token: user.tokens.access_token,
        json,
        env,
        headers: { "Idempotency-Key": "report-2024-07" },
      });
    const first = await post({ type: "add", x: 1, y: 2 });
    expect(first.status, first.dump).toBe(202);
    // Same body, keys in another order: still the same request.
    const again = await post({ y: 2, x: 1, type: "add" });
    expect(again.status, again.dump).toBe(200);
    expect(again.body.id).toBe(first.body.id);
    expect(again.headers.get("Location")).toBe(`/api/v1/tasks/${first.body.id}`);
    expect(sent).toHaveLength(1);

    const other = await post({ type: "add", x: 1, y: 3 });
    expect(other.status, other.dump).toBe(422);
    expect(other.body.code).toBe("idempotency_key_reused");

    // Keys are per user: another user's same key makes another task.
    const someoneElse = await createSignedInUser();
    const theirs = await api("POST", "/api/v1/tasks", {
      token: someoneElse.tokens.access_token,
      json: { type: "add", x: 1, y: 2 },
      env,
      headers: { "Idempotency-Key": "report-2024-07" },
    });
    expect(theirs.status, theirs.dump).toBe(202);
    expect(theirs.body.id).not.toBe(first.body.id);
  });

  it("10 concurrent requests with one Idempotency-Key create exactly one task", async () => {
    const user = await createSignedInUser();
    const { env, sent } = recordingEnv();
    const results = await Promise.all(
      Array.from({ length: 10 }, () =>
        api("POST", "/api/v1/tasks", {
          token: user.tokens.access_token,
          json: { type: "add", x: 5, y: 5 },
          env,
          headers: { "Idempotency-Key": "burst" },
        }),
      ),
    );
    for (const r of results) expect([200, 202], r.dump).toContain(r.status);
    expect(results.filter((r) => r.status === 202)).toHaveLength(1);
    expect(new Set(results.map((r) => r.body.id)).size).toBe(1);
    expect(await sql`select id from tasks where user_id = ${user.id}`).toHaveLength(1);
    expect(sent).toHaveLength(1);
  });
});

describe("GET /api/v1/tasks/{id} and POST /api/v1/tasks/{id}/revoke", () => {
  it("the owner and an admin see the task; another user gets 404 on GET and revoke", async () => {
    const owner = await createSignedInUser();
    const { id } = await startTask(owner, { type: "add", x: 1, y: 1 });
    const admin = await signedInWithRole("admin");
    const stranger = await signedInWithRole("moderator");
    for (const who of [owner, admin]) {
      const res = await api("GET", `/api/v1/tasks/${id}`, { token: who.tokens.access_token });
      expect(res.status, res.dump).toBe(200);
      expect(res.body.id).toBe(id);
    }
    for (const [method, path] of [
      ["GET", `/api/v1/tasks/${id}`],
      ["POST", `/api/v1/tasks/${id}/revoke`],
    ] as const) {
      const res = await api(method, path, { token: stranger.tokens.access_token });
      expect(res.status, res.dump).toBe(404);
      expect(res.body.code).toBe("not_found");
    }
    expect((await sql`select status from tasks where id = ${id}`)[0]?.status).toBe("PENDING");
  });

  it("revoke: 200 REVOKED (by an admin too), then 409 task_finished; finished tasks are 409", async () => {
    const owner = await createSignedInUser();
    const admin = await signedInWithRole("admin");
    const { id } = await startTask(owner, { type: "add", x: 1, y: 1 });
    const res = await api("POST", `/api/v1/tasks/${id}/revoke`, { token: admin.tokens.access_token });
    expect(res.status, res.dump).toBe(200);
    expect(res.body).toMatchObject({ id, status: "REVOKED" });
    expect(res.body.finished_at).not.toBeNull();
    const again = await api("POST", `/api/v1/tasks/${id}/revoke`, { token: owner.tokens.access_token });
    expect(again.status, again.dump).toBe(409);
    expect(again.body.code).toBe("task_finished");

    for (const status of ["SUCCESS", "FAILURE"]) {
      const { id: other } = await startTask(owner, { type: "add", x: 1, y: 1 });
      await sql`update tasks set status = ${status} where id = ${other}`;
      const r = await api("POST", `/api/v1/tasks/${other}/revoke`, { token: owner.tokens.access_token });
      expect(r.status, r.dump).toBe(409);
      expect((await sql`select status from tasks where id = ${other}`)[0]?.status).toBe(status);
    }
    for (const status of ["STARTED", "RETRY"]) {
      const { id: other } = await startTask(owner, { type: "add", x: 1, y: 1 });
      await sql`update tasks set status = ${status} where id = ${other}`;
      const r = await api("POST", `/api/v1/tasks/${other}/revoke`, { token: owner.tokens.access_token });
      expect(r.status, r.dump).toBe(200);
    }
  });
});

describe("GET /api/v1/tasks", () => {
  it("pages the caller's own tasks newest first, filters by status; an admin sees everyone's", async () => {
    const user = await createSignedInUser();
    const other = await createSignedInUser();
    const a = (await startTask(user, { type: "add", x: 1, y: 1 })).id;
    const b = (await startTask(user, { type: "process_data", data: "x" })).id;
    const c = (await startTask(user, { type: "add", x: 2, y: 2 })).id;
    const foreign = (await startTask(other, { type: "add", x: 3, y: 3 })).id;
    await sql`update tasks set status = 'SUCCESS' where id = ${b}`;
    const list = (query: string, token = user.tokens.access_token) =>
      api("GET", `/api/v1/tasks?${query}`, { token });

    const all = await list("");
    expect(all.status, all.dump).toBe(200);
    expect(all.body).toMatchObject({ total: 3, skip: 0, limit: 10 });
    expect(all.body.items.map((t: { id: string }) => t.id)).toEqual([c, b, a]);

    const page = await list("skip=1&limit=1");
    expect(page.body).toMatchObject({ total: 3, skip: 1, limit: 1 });
    expect(page.body.items.map((t: { id: string }) => t.id)).toEqual([b]);
    expect((await list("skip=5")).body).toMatchObject({ items: [], total: 3, skip: 5 });

    const succeeded = await list("status=SUCCESS");
    expect(succeeded.body.items.map((t: { id: string }) => t.id)).toEqual([b]);
    expect(succeeded.body.total).toBe(1);

    const admin = await signedInWithRole("admin");
    const everyone = await list("limit=100", admin.tokens.access_token);
    const ids = everyone.body.items.map((t: { id: string }) => t.id);
    expect(ids).toEqual(expect.arrayContaining([a, b, c, foreign]));
    expect(everyone.body.total).toBeGreaterThanOrEqual(4);
  });
});

describe("database round trips", () => {
  it("POST costs 1 (gate, debit and insert in one statement); GET and list 1 each; revoke 2 (the refund)", async () => {
    const user = await createSignedInUser();
    const recorder = recordingEnv();
    const token = user.tokens.access_token;
    const create = await countRoundTrips((env) =>
      api("POST", "/api/v1/tasks", {
        token,
        json: { type: "add", x: 1, y: 1 },
        env: { ...env, JOBS_QUEUE: recorder.env.JOBS_QUEUE },
        headers: { "Idempotency-Key": "rt" },
      }),
    );
    expect(create.result.status, create.result.dump).toBe(202);
    expect(create.sqlRequests).toBe(1);
    expect(recorder.sent).toHaveLength(1);
    const id = create.result.body.id as string;

    const replay = await countRoundTrips((env) =>
      api("POST", "/api/v1/tasks", {
        token,
        json: { type: "add", x: 1, y: 1 },
        env,
        headers: { "Idempotency-Key": "rt" },
      }),
    );
    expect(replay.result.status, replay.result.dump).toBe(200);
    expect(replay.sqlRequests).toBe(1);

    for (const [method, path, trips] of [
      ["GET", `/api/v1/tasks/${id}`, 1],
      ["GET", "/api/v1/tasks?status=PENDING", 1],
      ["POST", `/api/v1/tasks/${id}/revoke`, 2],
    ] as const) {
      const counted = await countRoundTrips((env) => api(method, path, { token, env }));
      expect(counted.result.status, counted.result.dump).toBe(200);
      expect(counted.sqlRequests, `${method} ${path}`).toBe(trips);
    }
  });
});
