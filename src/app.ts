/**
 * Builds the app: global middleware in request-flow order, the feature routers, the OpenAPI document
 * and docs, and the two handlers that turn everything else into problem responses.
 */
import type { Context } from "hono";
import { secureHeaders } from "hono/secure-headers";
import { version } from "../package.json";
import { ConfigError } from "./env.ts";
import { authRouter } from "./features/auth/auth.index.ts";
import { avatarsRouter } from "./features/avatars/avatars.index.ts";
import { billingRouter } from "./features/billing/billing.index.ts";
import { creditsRouter } from "./features/credits/credits.index.ts";
import { devRouter } from "./features/dev/dev.index.ts";
import { DEV_PATH_PREFIX, DEV_SCHEMAS } from "./features/dev/dev.routes.ts";
import { docsRouter } from "./features/docs/docs.index.ts";
import { eventsRouter } from "./features/events/events.index.ts";
import { healthRouter } from "./features/health/health.index.ts";
import { API_NAME, metaRouter, OPENAPI_PATH } from "./features/meta/meta.index.ts";
import { metricsRouter } from "./features/metrics/metrics.index.ts";
import { preRegisterRouter } from "./features/pre-register/pre-register.index.ts";
import { sessionsRouter } from "./features/sessions/sessions.index.ts";
import { tasksRouter } from "./features/tasks/tasks.index.ts";
import { usersRouter } from "./features/users/users.index.ts";
import { describeError } from "./lib/error-log.ts";
import { ApiError } from "./lib/errors.ts";
import { createLogger } from "./lib/logger.ts";
import { addBodyLimitProblems, addStandardHeaders, registerOpenApiComponents } from "./lib/openapi.ts";
import { problemResponse, toApiError } from "./lib/problem.ts";
import { createRouter } from "./lib/router.ts";
import type { AppBindings, AppOpenAPI } from "./lib/types.ts";
import { accessLog } from "./middleware/access-log.ts";
import { bodyLimit } from "./middleware/body-limit.ts";
import { cors } from "./middleware/cors.ts";
import { rateLimit } from "./middleware/rate-limit.ts";
import { requestId } from "./middleware/request-id.ts";
import { services } from "./middleware/services.ts";
import { resolveGateError } from "./services/session-gate.ts";

export function createApp(): AppOpenAPI {
  const app = createRouter();

  app.use(requestId());
  app.use(services());
  app.use(accessLog());
  app.use(cors());
  // overwrite: false lets a response set its own (avatars are embeddable cross-origin images).
  // Nothing here sets X-Powered-By, so there is nothing to remove on every response.
  app.use(secureHeaders({ overwrite: false, removePoweredBy: false }));
  app.use(bodyLimit());
  app.use(rateLimit());

  registerOpenApiComponents(app);
  app.route("/", metaRouter);
  app.route("/", docsRouter);
  app.route("/", healthRouter);
  app.route("/", metricsRouter);
  app.route("/", authRouter);
  app.route("/", usersRouter);
  app.route("/", devRouter);
  app.route("/", tasksRouter);
  app.route("/", sessionsRouter);
  app.route("/", avatarsRouter);
  app.route("/", preRegisterRouter);
  app.route("/", creditsRouter);
  app.route("/", billingRouter);
  app.route("/", eventsRouter);

  // Generated once per isolate per (APP_URL, which is the document's server; the environment, which
  // the server's description names and which decides whether dev routes show).
  const documents = new Map<string, unknown>();
  const serveDocument = (c: Context<AppBindings>) => {
    const appUrl = c.get("config").APP_URL.replace(/\/$/, "");
    const environment = c.get("config").ENVIRONMENT;
    const development = environment === "development";
    const key = `${environment}|${appUrl}`;
    let document = documents.get(key);
    document ??= withoutDevRoutes(
      addStandardHeaders(
        app.getOpenAPI31Document({
          openapi: "3.1.0",
          info: {
            title: API_NAME,
            version,
            description:
              "Authentication and user management at the edge. Errors are RFC 9457 problem details with a stable `code`.",
            license: { name: "MIT", url: "https://opensource.org/licenses/MIT" },
          },
          servers: [
            {
              url: appUrl,
              description: `This deployment (APP_URL): ${SERVER_DESCRIPTIONS[environment]}.`,
              // A public API: the document describes what integrators may call.
              "x-internal": false,
            },
          ],
          tags: [
            { name: "Meta", description: "API information and documentation." },
            { name: "Health", description: "Liveness and dependency status." },
            { name: "Auth", description: "Registration, login, token refresh and logout." },
            { name: "Users", description: "Accounts." },
            { name: "Tasks", description: "Background tasks, run on the jobs queue." },
            { name: "Sessions", description: "Logged-in devices of the caller." },
            { name: "Avatars", description: "Profile pictures, stored in R2." },
            { name: "Pre-registration", description: "The waiting list before sign-up." },
            { name: "Credits", description: "Credit balance and ledger." },
            { name: "Billing", description: "Buying credits with Stripe Checkout." },
            ...(development ? [{ name: "Dev", description: "Development helpers (development only)." }] : []),
          ],
        }),
      ),
      development,
    );
    if (!documents.has(key)) documents.set(key, addBodyLimitProblems(document));
    return c.json(document);
  };
  app.get(OPENAPI_PATH, serveDocument);
  app.get("/api/schema", serveDocument);

  // Returned, not thrown: a throw here would skip the middleware that adds headers after next().
  app.notFound((c) => {
    // Outside development the dev paths do not exist, so no 405 may hint at them either.
    const hidden = c.get("config")?.ENVIRONMENT !== "development" && c.req.path.startsWith(DEV_PATH_PREFIX);
    const allowed = hidden ? [] : allowedMethods(app, c.req.path);
    if (allowed.length > 0) {
      return problemResponse(
        c,
        new ApiError(405, "method_not_allowed", {
          detail: `${c.req.method} is not supported here; use ${allowed.join(", ")}.`,
          headers: { Allow: allowed.join(", ") },
        }),
      );
    }
    return problemResponse(
      c,
      new ApiError(404, "not_found", { detail: `No route for ${c.req.method} ${c.req.path}.` }),
    );
  });

  app.onError(async (thrown, c) => {
    // On protected routes 401/403 come before any other client error (services/session-gate.ts).
    const err = await resolveGateError(thrown, c.get("gate"), c.get("db")).catch((e: unknown) => e);
    const apiError = toApiError(err);
    const logger = c.get("logger") ?? createLogger("error", { request_id: c.get("requestId") });
    if (err instanceof ConfigError) {
      logger.error("configuration invalid", { problems: err.problems });
    } else if (apiError.status >= 500) {
      // Never err.message/err.stack: a failed query's message is the query with its parameters.
      logger.error("unhandled error", { error: describeError(err) });
    }
    // The request-id middleware still runs after this and sets X-Request-Id.
    return problemResponse(c, apiError);
  });

  return app;
}

/** What the document's server is, by ENVIRONMENT (in words OpenAPI tools recognise). */
const SERVER_DESCRIPTIONS = {
  development: "local development",
  test: "test",
  staging: "staging",
  production: "production",
} as const;

/** The document without the dev routes, unless `development` (they exist only there). */
function withoutDevRoutes<T extends object>(document: T, development: boolean): T {
  if (development) return document;
  const doc = document as {
    paths?: Record<string, unknown>;
    components?: { schemas?: Record<string, unknown> };
  };
  for (const path of Object.keys(doc.paths ?? {}))
    if (path.startsWith(DEV_PATH_PREFIX)) delete doc.paths?.[path];
  for (const name of DEV_SCHEMAS) delete doc.components?.schemas?.[name];
  return document;
}

/** Methods that some route answers for `path` (for 405 + Allow), computed from the app's own routes. */
function allowedMethods(app: AppOpenAPI, path: string): string[] {
  const methods = new Set<string>();
  for (const route of app.routes) {
    if (route.method === "ALL") continue;
    if (routePattern(route.path).test(path)) methods.add(route.method);
  }
  return [...methods];
}

const patterns = new Map<string, RegExp>();
function routePattern(path: string): RegExp {
  let re = patterns.get(path);
  if (!re) {
    const source = path
      .split("/")
      .map((part) =>
        part.startsWith(":") ? "[^/]+" : part === "*" ? ".*" : part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"),
      )
      .join("/");
    re = new RegExp(`^${source}$`);
    patterns.set(path, re);
  }
  return re;
}
