/**
 * The one permission table: which roles may do what. Routes take their `roles` from here (so the
 * OpenAPI document's `x-required-roles` and descriptions state them), and the statements that need a
 * finer decision (self or staff, moderators on plain users only) read the same table.
 */
import type { UserRole } from "../db/schema/users.ts";

export const PERMISSIONS = {
  /** GET /users: list and search every account. */
  "users:list": ["moderator", "admin"],
  /** GET /users/{id}: anyone may read their own account (the statement restricts to self or staff). */
  "users:read": ["user", "moderator", "admin"],
  /** GET /users/{id} of someone else. */
  "users:read-any": ["moderator", "admin"],
  /** PATCH /users/{id}: every field (`role`, `is_active`, `full_name`, `email_verified`) of anyone. */
  "users:update": ["admin"],
  /** PATCH /users/{id} with only `is_active`, on plain users (role `user`). */
  "users:set-active": ["moderator", "admin"],
  /** DELETE /users/{id}. */
  "users:delete": ["admin"],
  /** POST /users/{id}/revoke-sessions. */
  "users:revoke-sessions": ["admin"],
  /** GET /audit-events. */
  "audit:list": ["admin"],
} as const satisfies Record<string, readonly UserRole[]>;

export type Permission = keyof typeof PERMISSIONS;

/**
 * The roles admitted by any of `permissions`, in the canonical order user, moderator, admin.
 *
 * @example
 * protectedRoute({ roles: rolesFor("users:update", "users:set-active") }, route)
 */
export function rolesFor(...permissions: Permission[]): UserRole[] {
  const admitted = new Set<UserRole>(permissions.flatMap((p) => PERMISSIONS[p]));
  return (["user", "moderator", "admin"] as const).filter((r) => admitted.has(r));
}

/**
 * Key of the transaction-scoped advisory lock every change of an admin's role or activity takes
 * (API and CLI alike), so that two concurrent demotions cannot both see "another admin remains".
 */
export const ADMIN_CHANGE_LOCK_KEY = 4_711_000_001;
