/**
 * The main flow of the API through a client generated from its OpenAPI document: register, log in,
 * read the account, refresh the tokens, start a task and poll it to its end, log out. Every step
 * checks the status and the body it gets; the types come from `api.ts`, which
 * `npx openapi-typescript <API_URL>/api/openapi.json -o scripts/client/api.ts` generates from the
 * served document (not kept in git). `npm run client:check` does all of it against `npm run dev`;
 * docs/client.md explains it for integrators.
 *
 * @example
 * API_URL=http://127.0.0.1:8787 npx tsx scripts/client/flow.ts
 */
import createClient from "openapi-fetch";
import type { components, paths } from "./api.ts";

type TokenPair = components["schemas"]["TokenPair"];
type Task = components["schemas"]["Task"];

const baseUrl = process.env.API_URL ?? "http://127.0.0.1:8787";
const FINAL_STATUSES: Task["status"][] = ["SUCCESS", "FAILURE", "REVOKED"];

/**
 * fetch that honours 429: it waits `Retry-After` seconds (at most a minute) and tries again, up to
 * four more times. Login and registration are limited per IP (5 a minute by default).
 */
async function fetchWithRetry(request: Request): Promise<Response> {
  for (let attempt = 1; ; attempt++) {
    const response = await fetch(request.clone());
    if (response.status !== 429 || attempt >= 5) return response;
    const seconds = Math.min(Number(response.headers.get("Retry-After") ?? 1), 60);
    console.log(`  429 on ${request.method} ${new URL(request.url).pathname}: retrying in ${seconds} s`);
    await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
  }
}

const client = createClient<paths>({ baseUrl, fetch: fetchWithRetry });
const bearer = (tokens: TokenPair) => ({ Authorization: `Bearer ${tokens.access_token}` });

/** Fails the flow with what the API answered. */
function expectStatus(step: string, response: Response, expected: number, body: unknown): void {
  if (response.status !== expected)
    throw new Error(`${step}: expected ${expected}, got ${response.status}: ${JSON.stringify(body)}`);
}

function check(step: string, condition: boolean, detail: string): asserts condition {
  if (!condition) throw new Error(`${step}: ${detail}`);
}

const ok = (line: string) => console.log(`  ok  ${line}`);

async function main(): Promise<void> {
  console.log(`Main flow against ${baseUrl}`);
  const suffix = `${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;
  const username = `client_${suffix}`;
  const email = `${username}@example.com`;
  const password = `a long client passphrase ${suffix}`;

  // 1. Register.
  const registered = await client.POST("/api/v1/auth/register", {
    body: { username, email, password, full_name: "Client Check" },
  });
  expectStatus("register", registered.response, 201, registered.error);
  check("register", registered.data?.username === username, "the user is not the one registered");
  check("register", registered.data.email_verified === false, "a new address is verified");
  const userId = registered.data.id;
  ok(`register: 201, user ${userId}`);

  // 2. Log in (JSON; the same operation also takes the OAuth2 password form).
  const login = await client.POST("/api/v1/auth/login", { body: { username, password } });
  expectStatus("login", login.response, 200, login.error);
  check("login", login.data?.token_type === "Bearer", "token_type is not Bearer");
  let tokens: TokenPair = login.data;
  ok(`login: 200, access token for ${tokens.expires_in} s`);

  // 3. Who am I?
  const me = await client.GET("/api/v1/users/me", { headers: bearer(tokens) });
  expectStatus("me", me.response, 200, me.error);
  check("me", me.data?.id === userId && me.data.email === email, "not the registered user");
  ok(`me: 200, ${me.data.username} <${me.data.email}>`);

  // 4. Refresh: a new pair; the refresh token rotates.
  const refreshed = await client.POST("/api/v1/auth/refresh", {
    body: { refresh_token: tokens.refresh_token },
  });
  expectStatus("refresh", refreshed.response, 200, refreshed.error);
  check("refresh", refreshed.data !== undefined, "no token pair");
  check("refresh", refreshed.data.refresh_token !== tokens.refresh_token, "the refresh token did not rotate");
  tokens = refreshed.data;
  ok("refresh: 200, new token pair");

  // 5. Start a task (free unless TASK_COST_ADD is set) and poll it until it is final.
  const created = await client.POST("/api/v1/tasks", {
    headers: bearer(tokens),
    params: { header: { "idempotency-key": `client-check-${suffix}` } },
    body: { type: "add", x: 2, y: 3 },
  });
  expectStatus("create task", created.response, 202, created.error);
  check("create task", created.data?.type === "add", "not an add task");
  const location = created.response.headers.get("Location");
  check("create task", location === `/api/v1/tasks/${created.data.id}`, `Location is ${location}`);
  ok(`create task: 202, ${location} (${created.data.status})`);

  let task: Task = created.data;
  const deadline = Date.now() + 60_000;
  while (!FINAL_STATUSES.includes(task.status)) {
    check("poll task", Date.now() < deadline, `still ${task.status} after 60 s`);
    await new Promise((resolve) => setTimeout(resolve, 500));
    const polled = await client.GET("/api/v1/tasks/{id}", {
      headers: bearer(tokens),
      params: { path: { id: task.id } },
    });
    expectStatus("poll task", polled.response, 200, polled.error);
    task = polled.data as Task;
  }
  check("poll task", task.status === "SUCCESS", `ended ${task.status}: ${task.error}`);
  check("poll task", task.result === 5, `result is ${JSON.stringify(task.result)}, not 5`);
  ok(`poll task: SUCCESS after ${task.attempts} attempt(s), result ${task.result}`);

  // 6. Log out: this access token stops working at once.
  const logout = await client.POST("/api/v1/auth/logout", { headers: bearer(tokens) });
  expectStatus("logout", logout.response, 204, logout.error);
  const after = await client.GET("/api/v1/users/me", { headers: bearer(tokens) });
  expectStatus("me after logout", after.response, 401, after.data);
  check("me after logout", after.error?.code === "unauthorized", `code is ${after.error?.code}`);
  check(
    "me after logout",
    after.response.headers.get("Content-Type") === "application/problem+json",
    "the 401 is not a problem document",
  );
  ok("logout: 204; the access token is refused (401 unauthorized)");
  console.log("Main flow passed.");
}

main().catch((err: unknown) => {
  console.error(`Main flow FAILED: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
