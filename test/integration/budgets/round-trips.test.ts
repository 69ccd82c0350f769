/**
 * The database round-trip budgets of docs/database-round-trips.md, measured: every row's request is
 * made against the real Worker and database, its round trips counted at the gateway (HTTP queries
 * plus WebSocket sessions, see helpers/db.ts), and compared with the row. Every operation of the
 * OpenAPI document needs a row, and every row a request here, so neither can be forgotten.
 *
 * Only Stripe's HTTP API is stood in for (the checkout rows), at the fetch boundary.
 */
import { decodeJwt } from "jose";
import { afterEach, describe, expect, it, vi } from "vitest";
import doc from "../../../docs/database-round-trips.md?raw";
import { IMAGES } from "../../fixtures/images.ts";
import { countRoundTrips } from "../../helpers/db.ts";
import { createSignedInUser, createUser, loginAs, STRONG_PASSWORD, unique } from "../../helpers/factories.ts";
import { type ApiResponse, api, envWith, type TestEnv } from "../../helpers/harness.ts";
import { latestMail, tokenFrom } from "../../helpers/mail.ts";
import { signedInWithRole } from "../../helpers/protected-routes.ts";
import {
  budgetKey,
  budgetsWithoutOperation,
  exceededRoundTripBudgets,
  operationsOf,
  parseRoundTripBudgets,
  unbudgetedOperations,
} from "../../helpers/round-trip-budget.ts";
import { signStripe } from "../billing/helpers.ts";

const budgets = parseRoundTripBudgets(doc);

/**
 * Counts the round trips of one request, after checking its status (a request that failed early
 * would cost less and pass for the wrong reason).
 */
async function measure(
  status: number,
  request: (env: TestEnv) => Promise<ApiResponse>,
  extra: Record<string, unknown> = {},
): Promise<number> {
  const { result, sqlRequests, wsConnections } = await countRoundTrips((env) =>
    request({ ...env, ...extra }),
  );
  expect(result.status, result.dump).toBe(status);
  return sqlRequests + wsConnections;
}

const PACKS = JSON.stringify([{ id: "starter", credits: 100, price_id: "price_starter" }]);
const STRIPE = { STRIPE_SECRET_KEY: "sk_test_budget", CREDIT_PACKS: PACKS };
const WEBHOOK_SECRET = "whsec_budget_secret";

/** Answers Stripe's API (customer, checkout session) here; every other request goes through. */
function standInForStripe(): void {
  const realFetch = globalThis.fetch;
  vi.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => {
    const request = new Request(input, init);
    if (new URL(request.url).hostname !== "api.stripe.com") return realFetch(input, init);
    return request.url.endsWith("/v1/customers")
      ? Response.json({ id: `cus_${unique()}`, object: "customer" })
      : Response.json({
          id: "cs_test_budget",
          object: "checkout.session",
          url: "https://checkout.stripe.com/c/x",
        });
  });
}
afterEach(() => vi.restoreAllMocks());

const auth = (user: { tokens: { access_token: string } }) => user.tokens.access_token;

/** A request for every row of the document, by its key; each makes its own data. */
const REQUESTS: Record<string, () => Promise<number>> = {
  // Public and infrastructure routes.
  "GET /": () => measure(200, (env) => api("GET", "/", { env })),
  "GET /health": () => measure(200, (env) => api("GET", "/health", { env })),
  "GET /api/v1/health": () => measure(200, (env) => api("GET", "/api/v1/health", { env })),
  "GET /metrics": () => measure(200, (env) => api("GET", "/metrics", { env })),
  "GET /api/v1/auth/jwks.json": () => measure(200, (env) => api("GET", "/api/v1/auth/jwks.json", { env })),
  "GET /.well-known/jwks.json": () => measure(200, (env) => api("GET", "/.well-known/jwks.json", { env })),

  // Registration and login.
  "POST /api/v1/auth/register": () => {
    const username = `rt_${unique()}`;
    const json = { username, email: `${username}@example.com`, password: STRONG_PASSWORD };
    return measure(201, (env) => api("POST", "/api/v1/auth/register", { json, env }));
  },
  "POST /api/v1/users": () => {
    const username = `rt_${unique()}`;
    const json = { username, email: `${username}@example.com`, password: STRONG_PASSWORD };
    return measure(201, (env) => api("POST", "/api/v1/users", { json, env }));
  },
  "POST /api/v1/auth/login (success)": async () => {
    const user = await createUser();
    const json = { username: user.username, password: user.password };
    return measure(200, (env) => api("POST", "/api/v1/auth/login", { json, env }));
  },
  "POST /api/v1/auth/login (failure)": async () => {
    const user = await createUser();
    const json = { username: user.username, password: "not-the-password-1" };
    return measure(401, (env) => api("POST", "/api/v1/auth/login", { json, env }));
  },
  "POST /api/v1/auth/login-json": async () => {
    const user = await createUser();
    const json = { username: user.username, password: user.password };
    return measure(200, (env) => api("POST", "/api/v1/auth/login-json", { json, env }));
  },
  "POST /api/v1/auth/refresh": async () => {
    const user = await createSignedInUser();
    const json = { refresh_token: user.tokens.refresh_token };
    return measure(200, (env) => api("POST", "/api/v1/auth/refresh", { json, env }));
  },
  "POST /api/v1/auth/logout": async () => {
    const user = await createSignedInUser();
    return measure(204, (env) => api("POST", "/api/v1/auth/logout", { token: auth(user), env }));
  },
  "POST /api/v1/auth/logout-all": async () => {
    const user = await createSignedInUser();
    return measure(204, (env) => api("POST", "/api/v1/auth/logout-all", { token: auth(user), env }));
  },
  "POST /api/v1/auth/password/change": async () => {
    const user = await createSignedInUser();
    const json = { current_password: user.password, new_password: "another-long-passphrase-9" };
    return measure(200, (env) =>
      api("POST", "/api/v1/auth/password/change", { token: auth(user), json, env }),
    );
  },

  // E-mail flows.
  "GET /api/v1/auth/verify/{token}": async () => {
    const user = await createUser();
    const token = tokenFrom((await latestMail(user.email)).links[0] as string);
    return measure(200, (env) => api("GET", `/api/v1/auth/verify/${token}`, { env }));
  },
  "POST /api/v1/auth/verify-email": async () => {
    const user = await createUser();
    const token = tokenFrom((await latestMail(user.email)).links[0] as string);
    return measure(200, (env) => api("POST", "/api/v1/auth/verify-email", { json: { token }, env }));
  },
  "POST /api/v1/auth/verify-email/resend": async () => {
    const user = await createSignedInUser();
    return measure(202, (env) => api("POST", "/api/v1/auth/verify-email/resend", { token: auth(user), env }));
  },
  "POST /api/v1/auth/password-reset/request": async () => {
    const user = await createUser();
    const json = { email: user.email };
    return measure(202, (env) => api("POST", "/api/v1/auth/password-reset/request", { json, env }));
  },
  "POST /api/v1/auth/password-reset/confirm": async () => {
    const user = await createUser();
    await latestMail(user.email); // the verification mail, out of the way
    const asked = await api("POST", "/api/v1/auth/password-reset/request", { json: { email: user.email } });
    expect(asked.status, asked.dump).toBe(202);
    const token = tokenFrom((await latestMail(user.email)).links[0] as string);
    const json = { token, new_password: "a-new-long-passphrase-7" };
    return measure(200, (env) => api("POST", "/api/v1/auth/password-reset/confirm", { json, env }));
  },
  "GET /api/v1/dev/mailbox (development only)": () =>
    measure(200, (env) => api("GET", "/api/v1/dev/mailbox?to=nobody@example.com", { env }), {
      ENVIRONMENT: "development",
    }),

  // The caller's account.
  "GET /api/v1/users/me": async () => {
    const user = await createSignedInUser();
    return measure(200, (env) => api("GET", "/api/v1/users/me", { token: auth(user), env }));
  },
  "PATCH /api/v1/users/me": async () => {
    const user = await createSignedInUser();
    const json = { full_name: "Ada Lovelace" };
    return measure(200, (env) => api("PATCH", "/api/v1/users/me", { token: auth(user), json, env }));
  },
  "PATCH /api/v1/users/me (with email)": async () => {
    const user = await createSignedInUser();
    const json = { email: `changed_${user.email}`, current_password: user.password };
    return measure(200, (env) => api("PATCH", "/api/v1/users/me", { token: auth(user), json, env }));
  },
  "DELETE /api/v1/users/me": async () => {
    const user = await createSignedInUser();
    const json = { password: user.password };
    return measure(204, (env) => api("DELETE", "/api/v1/users/me", { token: auth(user), json, env }));
  },
  "GET /api/v1/users/me/sessions": async () => {
    const user = await createSignedInUser();
    return measure(200, (env) => api("GET", "/api/v1/users/me/sessions", { token: auth(user), env }));
  },
  "DELETE /api/v1/users/me/sessions/{id}": async () => {
    const user = await createSignedInUser();
    const phone = decodeJwt((await loginAs(user)).access_token).sid as string;
    return measure(204, (env) =>
      api("DELETE", `/api/v1/users/me/sessions/${phone}`, { token: auth(user), env }),
    );
  },
  "GET /api/v1/users/me/security-events": async () => {
    const user = await createSignedInUser();
    return measure(200, (env) => api("GET", "/api/v1/users/me/security-events", { token: auth(user), env }));
  },
  "GET /api/v1/users/me/credits": async () => {
    const user = await createSignedInUser();
    return measure(200, (env) => api("GET", "/api/v1/users/me/credits", { token: auth(user), env }));
  },

  // Avatars.
  "POST /api/v1/users/me/avatar": async () => {
    const user = await createSignedInUser();
    return measure(200, (env) => upload(user, env));
  },
  "DELETE /api/v1/users/me/avatar": async () => {
    const user = await createSignedInUser();
    expect((await upload(user)).status).toBe(200);
    return measure(200, (env) => api("DELETE", "/api/v1/users/me/avatar", { token: auth(user), env }));
  },
  "GET /api/v1/avatars/{key}": async () => {
    const user = await createSignedInUser();
    const uploaded = await upload(user);
    expect(uploaded.status, uploaded.dump).toBe(200);
    const path = new URL(uploaded.body.avatar_url).pathname;
    return measure(200, (env) => api("GET", path, { env }));
  },

  // Staff.
  "GET /api/v1/users": async () => {
    const admin = await signedInWithRole("moderator");
    return measure(200, (env) => api("GET", "/api/v1/users?limit=5", { token: auth(admin), env }));
  },
  "GET /api/v1/users/{id}": async () => {
    const admin = await signedInWithRole("admin");
    const other = await createUser();
    return measure(200, (env) => api("GET", `/api/v1/users/${other.id}`, { token: auth(admin), env }));
  },
  "PATCH /api/v1/users/{id}": async () => {
    const admin = await signedInWithRole("admin");
    const other = await createUser();
    const json = { full_name: "Renamed By Admin" };
    return measure(200, (env) =>
      api("PATCH", `/api/v1/users/${other.id}`, { token: auth(admin), json, env }),
    );
  },
  "DELETE /api/v1/users/{id}": async () => {
    const admin = await signedInWithRole("admin");
    const other = await createUser();
    return measure(204, (env) => api("DELETE", `/api/v1/users/${other.id}`, { token: auth(admin), env }));
  },
  "POST /api/v1/users/{id}/revoke-sessions": async () => {
    const admin = await signedInWithRole("admin");
    const other = await createSignedInUser();
    return measure(200, (env) =>
      api("POST", `/api/v1/users/${other.id}/revoke-sessions`, { token: auth(admin), env }),
    );
  },
  "POST /api/v1/users/{id}/credits": async () => {
    const admin = await signedInWithRole("admin");
    const other = await createUser();
    const json = { delta: 100, reason: "goodwill" };
    return measure(201, (env) =>
      api("POST", `/api/v1/users/${other.id}/credits`, { token: auth(admin), json, env }),
    );
  },
  "GET /api/v1/audit-events": async () => {
    const admin = await signedInWithRole("admin");
    return measure(200, (env) => api("GET", "/api/v1/audit-events", { token: auth(admin), env }));
  },

  // Tasks (the queue is the tests' recorder: a new task stays PENDING, so it can be revoked).
  "POST /api/v1/tasks": async () => {
    const user = await createSignedInUser();
    const json = { type: "add", x: 1, y: 2 };
    return measure(202, (env) => api("POST", "/api/v1/tasks", { token: auth(user), json, env }));
  },
  "GET /api/v1/tasks/{id}": async () => {
    const user = await createSignedInUser();
    const id = await newTask(user);
    return measure(200, (env) => api("GET", `/api/v1/tasks/${id}`, { token: auth(user), env }));
  },
  "GET /api/v1/tasks": async () => {
    const user = await createSignedInUser();
    await newTask(user);
    return measure(200, (env) => api("GET", "/api/v1/tasks", { token: auth(user), env }));
  },
  "POST /api/v1/tasks/{id}/revoke": async () => {
    const user = await createSignedInUser();
    const id = await newTask(user);
    return measure(200, (env) => api("POST", `/api/v1/tasks/${id}/revoke`, { token: auth(user), env }));
  },

  // Pre-registration.
  "POST /api/v1/pre-register": () => {
    const json = { email: `pre_${unique()}@example.com` };
    return measure(202, (env) => api("POST", "/api/v1/pre-register", { json, env }));
  },
  "GET /api/v1/pre-register": async () => {
    const admin = await signedInWithRole("admin");
    return measure(200, (env) => api("GET", "/api/v1/pre-register", { token: auth(admin), env }));
  },

  // Billing.
  "POST /api/v1/billing/checkout (first time)": async () => {
    const user = await createSignedInUser();
    standInForStripe();
    return measure(
      200,
      (env) => api("POST", "/api/v1/billing/checkout", { token: auth(user), json: { pack: "starter" }, env }),
      STRIPE,
    );
  },
  "POST /api/v1/billing/checkout": async () => {
    const user = await createSignedInUser();
    standInForStripe();
    const json = { pack: "starter" };
    const first = await api("POST", "/api/v1/billing/checkout", {
      token: auth(user),
      json,
      env: envWith(STRIPE),
    });
    expect(first.status, first.dump).toBe(200);
    return measure(
      200,
      (env) => api("POST", "/api/v1/billing/checkout", { token: auth(user), json, env }),
      STRIPE,
    );
  },
  "POST /api/v1/billing/webhook": async () => {
    const user = await createUser();
    const body = JSON.stringify({
      id: `evt_${crypto.randomUUID()}`,
      object: "event",
      type: "checkout.session.completed",
      data: {
        object: {
          id: `cs_test_${crypto.randomUUID()}`,
          object: "checkout.session",
          client_reference_id: user.id,
          payment_status: "paid",
          payment_intent: `pi_${crypto.randomUUID()}`,
          metadata: { pack: "starter", credits: "100" },
        },
      },
    });
    const headers = {
      "Content-Type": "application/json",
      "Stripe-Signature": await signStripe(body, WEBHOOK_SECRET),
    };
    return measure(200, (env) => api("POST", "/api/v1/billing/webhook", { body, headers, env }), {
      STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET,
    });
  },
};

function upload(user: { tokens: { access_token: string } }, env?: TestEnv) {
  const form = new FormData();
  form.set("file", new File([IMAGES.png], "avatar.png", { type: "image/png" }));
  return api("POST", "/api/v1/users/me/avatar", { token: auth(user), body: form, env });
}

async function newTask(user: { tokens: { access_token: string } }): Promise<string> {
  const res = await api("POST", "/api/v1/tasks", { token: auth(user), json: { type: "add", x: 2, y: 3 } });
  expect(res.status, res.dump).toBe(202);
  return res.body.id;
}

describe("database round-trip budgets (docs/database-round-trips.md)", () => {
  it("every operation of the OpenAPI document has a budget, and every budget names an operation", async () => {
    const document = await api("GET", "/api/openapi.json", { env: envWith({ ENVIRONMENT: "development" }) });
    expect(document.status, document.dump).toBe(200);
    const operations = operationsOf(document.body);
    expect(operations.length).toBeGreaterThan(40);
    expect(unbudgetedOperations(budgets, operations), "operations without a round-trip budget").toEqual([]);
    expect(budgetsWithoutOperation(budgets, operations), "budgets of routes that do not exist").toEqual([]);
  });

  it("every budget has a request here, and every request here a budget", () => {
    const keys = budgets.map(budgetKey);
    expect(
      keys.filter((key) => !(key in REQUESTS)),
      "budget rows without a request in this test",
    ).toEqual([]);
    expect(
      Object.keys(REQUESTS).filter((key) => !keys.includes(key)),
      "requests here without a budget row",
    ).toEqual([]);
  });

  it.each(Object.keys(REQUESTS))("%s stays within its budget", async (key) => {
    const roundTrips = await (REQUESTS[key] as () => Promise<number>)();
    expect(exceededRoundTripBudgets(budgets, [{ key, roundTrips }])).toEqual([]);
  });
});
