import { createRoute, type RouteConfig } from "@hono/zod-openapi";
import type { MiddlewareHandler } from "hono";
import { type RequireAuthOptions, requireAuth } from "../middleware/auth.ts";
import { BEARER_SECURITY, problems } from "./openapi.ts";

/**
 * `createRoute` for routes behind the bearer token: adds the security schemes, the auth middleware
 * and the 401 (and 403 when roles are restricted) responses, so no protected route can forget them.
 * The shared 401/403 test suite finds these routes through their `security` in the OpenAPI document.
 *
 * @example
 * export const getMe = protectedRoute({ sessionCheck: "in-query" }, { method: "get", path: "/api/v1/users/me", ... });
 */
export function protectedRoute<const R extends Omit<RouteConfig, "security" | "middleware">>(
  auth: RequireAuthOptions,
  route: R,
) {
  const full = {
    ...route,
    security: BEARER_SECURITY,
    middleware: [requireAuth(auth)] as MiddlewareHandler[],
    // Read by the shared 401/403 test suite and by integrators.
    ...(auth.roles ? { "x-required-roles": auth.roles } : {}),
    responses: {
      ...route.responses,
      ...problems("Unauthorized", ...(auth.roles ? (["Forbidden"] as const) : [])),
    },
  };
  return createRoute(full as R & { security: RouteConfig["security"]; middleware: MiddlewareHandler[] });
}
