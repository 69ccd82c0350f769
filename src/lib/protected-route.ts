import { createRoute, type RouteConfig } from "@hono/zod-openapi";
import type { MiddlewareHandler } from "hono";
import { type RequireAuthOptions, requireAuth } from "../middleware/auth.ts";
import { BEARER_SECURITY, problems } from "./openapi.ts";

/**
 * `createRoute` for routes behind the bearer token: adds the security schemes, the auth middleware
 * (the session gate), the roles (as `x-required-roles` and in the description) and the 401 (and 403
 * when roles are restricted) responses, so no protected route can forget them. The shared 401/403
 * test suite finds these routes, and the roles they admit, in the served OpenAPI document.
 *
 * @example
 * export const getMe = protectedRoute({ session: "in-statement" }, { method: "get", path: "/api/v1/users/me", ... });
 */
export function protectedRoute<const R extends Omit<RouteConfig, "security" | "middleware">>(
  auth: RequireAuthOptions,
  route: R,
) {
  const rolesNote = auth.roles ? `Requires the role ${auth.roles.map((r) => `\`${r}\``).join(" or ")}.` : "";
  const full = {
    ...route,
    ...(rolesNote
      ? { description: route.description ? `${route.description}\n\n${rolesNote}` : rolesNote }
      : {}),
    security: BEARER_SECURITY,
    middleware: [requireAuth(auth)] as MiddlewareHandler[],
    "x-required-roles": auth.roles ? [...auth.roles] : ["user", "moderator", "admin"],
    responses: {
      ...route.responses,
      ...problems("Unauthorized", ...(auth.roles ? (["Forbidden"] as const) : [])),
    },
  };
  return createRoute(full as R & { security: RouteConfig["security"]; middleware: MiddlewareHandler[] });
}
