/**
 * `npm run e2e`: the docs pages in a real browser (Debian's chromium, driven by playwright-core).
 *
 * Starts the API the way `npm run dev` does (it runs `npm run dev`, on free ports, over a throw-away
 * embedded PostgreSQL, with in-memory rate limits), registers an account through the API, then:
 * - Swagger UI: Authorize through the OAuth2 password flow with that account, "Try it out" on
 *   GET /api/v1/users/me, and see 200 with the account's e-mail;
 * - ReDoc: every operation of the OpenAPI document listed.
 * Any console error, uncaught page error or request to another origin fails it. Screenshots go to
 * dist/e2e/docs.png and dist/e2e/redoc.png, the dev server's output to dist/e2e/dev.log.
 *
 * CHROMIUM_PATH overrides the browser (default /usr/bin/chromium).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createWriteStream, mkdirSync } from "node:fs";
import { type Browser, type BrowserContext, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../../scripts/local/ports.ts";
import { type LocalPostgres, startLocalPostgres } from "../../scripts/local/postgres.ts";

const OUT = "dist/e2e";
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

let pg: LocalPostgres | undefined;
let dev: ChildProcess | undefined;
let browser: Browser | undefined;
let base = "";

/** Console warnings, printed for the record (not failures). */
const warnings: string[] = [];

const account = {
  username: `e2e_${randomBytes(4).toString("hex")}`,
  email: `e2e-${randomBytes(4).toString("hex")}@example.com`,
  password: `Docs e2e ${randomBytes(9).toString("base64url")}`,
};

/** Whether `npm run dev` is still up (it exits with a code, or by a signal). */
const running = (child: ChildProcess | undefined) => child?.exitCode === null && child.signalCode === null;

async function waitForHealth(url: string, deadline: number): Promise<void> {
  let last = "no answer";
  while (Date.now() < deadline) {
    if (!running(dev)) throw new Error(`npm run dev exited (${dev?.exitCode}); see ${OUT}/dev.log`);
    try {
      const res = await fetch(url);
      if (res.ok) return;
      last = `${res.status}`;
    } catch (err) {
      last = String(err);
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`${url} not healthy in time (${last}); see ${OUT}/dev.log`);
}

/** Stops `npm run dev` and everything under it (its own process group). */
async function stopDev(): Promise<void> {
  const child = dev;
  if (!child?.pid || !running(child)) return;
  const exited = new Promise((r) => child.once("exit", r));
  process.kill(-child.pid, "SIGTERM");
  // Whatever has not stopped 15 s later is killed (the group may be gone by then: ignore that).
  const killed = setTimeout(() => {
    try {
      process.kill(-child.pid!, "SIGKILL");
    } catch {}
  }, 15_000);
  await exited;
  clearTimeout(killed);
}

/**
 * A browser context and what it did that it must not: console errors, uncaught page errors and
 * requests to another origin (data: and blob: URLs are made inside the page).
 */
async function watchedContext(): Promise<{ context: BrowserContext; trouble: string[] }> {
  const context = await browser!.newContext({ viewport: { width: 1280, height: 900 } });
  const trouble: string[] = [];
  const origin = new URL(base).origin;
  context.on("request", (request) => {
    const url = new URL(request.url());
    if (url.protocol === "data:" || url.protocol === "blob:") return;
    if (url.origin !== origin) trouble.push(`request to another origin: ${request.method()} ${url}`);
  });
  context.on("page", (page: Page) => {
    page.on("console", (message) => {
      const line = `${page.url()} console.${message.type()}: ${message.text()}`;
      if (message.type() === "error") trouble.push(line);
      if (message.type() === "warning") warnings.push(line);
    });
    page.on("pageerror", (error) => trouble.push(`${page.url()} uncaught: ${error.message}`));
  });
  return { context, trouble };
}

beforeAll(async () => {
  mkdirSync(OUT, { recursive: true });
  const [port, gatewayPort, pgPort] = [await freePort(), await freePort(), await freePort()];
  pg = await startLocalPostgres({ port: pgPort });
  base = `http://127.0.0.1:${port}`;
  const log = createWriteStream(`${OUT}/dev.log`);
  dev = spawn("npm", ["run", "dev"], {
    env: {
      ...process.env,
      PORT: String(port),
      DATABASE_URL: pg.url,
      DEV_GATEWAY_PORT: String(gatewayPort),
      // In-memory rate limits: a Redis shared with other local servers holds their per-IP counts too.
      REDIS_URL: "redis://127.0.0.1:1",
    },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  dev.stdout?.pipe(log);
  dev.stderr?.pipe(log);
  await waitForHealth(`${base}/health`, Date.now() + 150_000);

  const registered = await fetch(`${base}/api/v1/auth/register`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(account),
  });
  expect(registered.status, await registered.clone().text()).toBe(201);

  browser = await chromium.launch({ executablePath: CHROMIUM });
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await stopDev();
  await pg?.stop();
  if (warnings.length) console.log(`browser warnings:\n${warnings.join("\n")}`);
}, 60_000);

describe("docs in a browser", () => {
  it("Swagger UI: Authorize with the OAuth2 password flow, then GET /api/v1/users/me answers 200 with the user", async () => {
    const { context, trouble } = await watchedContext();
    const page = await context.newPage();
    await page.goto(`${base}/api/docs`);
    await page.locator(".swagger-ui .info .title").waitFor();

    // Authorize: the oauth2Password scheme's form posts username and password to /api/v1/auth/login.
    await page.locator("button.authorize").first().click();
    const oauth = page.locator(".auth-container").filter({ hasText: "oauth2Password" });
    await oauth.locator("#oauth_username").fill(account.username);
    await oauth.locator("#oauth_password").fill(account.password);
    const login = page.waitForResponse((r) => r.url().endsWith("/api/v1/auth/login"));
    await oauth.getByRole("button", { name: "Apply given OAuth2 credentials" }).click();
    const token = await login;
    expect(token.status(), await token.text()).toBe(200);
    expect(token.request().postData()).toContain("grant_type=password");
    await oauth.getByRole("button", { name: "Remove authorization" }).waitFor();
    await page.locator(".dialog-ux .btn-done").first().click();

    // Try it out on GET /api/v1/users/me.
    const operation = page.locator("#operations-Users-getMe");
    await operation.locator(".opblock-summary").click();
    await operation.getByRole("button", { name: "Try it out" }).click();
    const me = page.waitForResponse((r) => r.url().endsWith("/api/v1/users/me"));
    await operation.getByRole("button", { name: "Execute" }).click();
    const response = await me;
    expect(response.status()).toBe(200);
    expect(response.request().headers().authorization).toMatch(/^Bearer /);

    // What the page shows: the server response row, status and body.
    const live = operation.locator(".live-responses-table tr.response");
    await expect
      .poll(async () => (await live.locator(".response-col_status").textContent())?.trim())
      .toBe("200");
    const body = await live.locator(".response-col_description .highlight-code pre").first().textContent();
    expect(JSON.parse(body ?? "")).toMatchObject({ username: account.username, email: account.email });

    await live.scrollIntoViewIfNeeded();
    await page.screenshot({ path: `${OUT}/docs.png` });
    await page.waitForLoadState("networkidle");
    await context.close();
    expect(trouble).toEqual([]);
  }, 60_000);

  it("ReDoc lists every operation of the OpenAPI document", async () => {
    const doc = (await (await fetch(`${base}/api/openapi.json`)).json()) as {
      paths: Record<string, Record<string, { operationId: string }>>;
    };
    const operationIds = Object.values(doc.paths).flatMap((item) =>
      Object.values(item).map((op) => op.operationId),
    );
    expect(operationIds.length).toBeGreaterThan(10);

    const { context, trouble } = await watchedContext();
    const page = await context.newPage();
    await page.goto(`${base}/api/redoc`);
    // Each operation's section: `operation/<id>`, and `tag/<tag>/operation/<id>` under its tag.
    const operations = page.locator("[data-section-id*='operation/']");
    await operations.first().waitFor();
    const listed = await operations.evaluateAll((els) =>
      els.map((el) => el.getAttribute("data-section-id")?.split("operation/")[1]),
    );
    expect([...new Set(listed)].sort()).toEqual([...operationIds].sort());
    await expect.poll(() => page.getByText("The caller's account").count()).toBeGreaterThan(0);

    await page.screenshot({ path: `${OUT}/redoc.png` });
    await page.waitForLoadState("networkidle");
    await context.close();
    expect(trouble).toEqual([]);
  }, 60_000);
});
