/**
 * The Worker under wrangler's own dev server (`unstable_startWorker`, what `wrangler dev` runs), built
 * by wrangler's bundler as for a deploy, for what the Vite-built tests cannot show: the assets-only
 * Worker of static/wrangler.toml behind wrangler.toml's `STATIC` service binding (the common-password
 * list comes from its static assets, and no URL serves it) and `[alias]` (zod bundled with English
 * only still answers in English). The test database and gateway from the global setup stand behind
 * it, as under `npm run dev`.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { unstable_startWorker } from "wrangler";

type Worker = Awaited<ReturnType<typeof unstable_startWorker>>;
let worker: Worker;
let statics: Worker;

const text = (value: string) => ({ type: "plain_text" as const, value });

beforeAll(async () => {
  process.env.WRANGLER_LOG ??= "error"; // wrangler's banner and request lines would fill the test output
  // The assets-only Worker in a session of its own; the API's STATIC binding is pointed at it below
  // (`npm run dev` runs both in one session: `wrangler dev -c wrangler.toml -c static/wrangler.toml`).
  statics = await unstable_startWorker({
    config: "static/wrangler.toml",
    dev: { server: { port: 0 }, inspector: false, persist: false },
  });
  worker = await unstable_startWorker({
    config: "wrangler.toml",
    bindings: {
      ENVIRONMENT: text("development"),
      DATABASE_URL: text(inject("databaseUrl")),
      LOCAL_DB_GATEWAY: text(inject("gatewayUrl")),
      JWT_SECRET: text("wrangler-dev-assets-test-secret-0123456789"),
      LOG_LEVEL: text("silent"),
      RATE_LIMIT_ENABLED: text("false"),
      STATIC: {
        type: "fetcher",
        fetcher: ({ url, method }: { url: string; method: string }) => statics.fetch(url, { method }),
      },
    },
    dev: { server: { port: 0 }, inspector: false, persist: false },
  });
}, 60_000);
afterAll(async () => {
  await worker?.dispose();
  await statics?.dispose();
});

async function register(password: string, fields: Record<string, string> = {}) {
  const id = crypto.randomUUID().replaceAll("-", "").slice(0, 12);
  const res = await worker.fetch("http://localhost/api/v1/auth/register", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ username: `dev_${id}`, email: `dev_${id}@example.com`, password, ...fields }),
  });
  return { status: res.status, body: (await res.json()) as any };
}

describe("wrangler dev: the common-password list as a static asset", { timeout: 30_000 }, () => {
  it("refuses a listed password (422) and registers a good one (201)", async () => {
    const common = await register("Baseball1");
    expect(common.status, JSON.stringify(common.body)).toBe(422);
    expect(common.body.errors).toContainEqual({
      path: "password",
      message: "This password is too common; choose another",
    });
    const good = await register("violet-harbor-lantern-42");
    expect(good.status, JSON.stringify(good.body)).toBe(201);
  });

  it.each([
    "/internal/common-passwords.txt",
    "/common-passwords.txt",
    "/public/internal/common-passwords.txt",
  ])("serves no copy of the list at %s", async (path) => {
    const res = await worker.fetch(`http://localhost${path}`);
    expect(res.status).toBe(404);
    expect(res.headers.get("Content-Type")).toBe("application/problem+json");
    expect(await res.text()).not.toContain("baseball");
  });
});

describe("wrangler dev: zod bundled with its English locale only", { timeout: 30_000 }, () => {
  it("answers validation problems with zod's English messages", async () => {
    const res = await register("violet-harbor-lantern-42", { username: "ab", email: "not-an-email" });
    expect(res.status, JSON.stringify(res.body)).toBe(422);
    expect(res.body.errors).toEqual(
      expect.arrayContaining([
        { path: "username", message: "Too small: expected string to have >=3 characters" },
        { path: "email", message: "Invalid email address" },
      ]),
    );
  });
});
