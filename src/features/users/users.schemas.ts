import { z } from "@hono/zod-openapi";
import { userRoles } from "../../db/schema/index.ts";
import { int32, Timestamp, Uuid } from "../../lib/fields.ts";

export const Username = z
  .string()
  .min(3)
  .max(50)
  .regex(/^[A-Za-z0-9_]+$/, "Only letters, digits and underscores")
  .openapi({ example: "jane_doe" });
export const Email = z.email().max(255).openapi({ example: "jane@example.com" });
export const FullName = z.string().trim().min(1).max(255).openapi({ example: "Jane Doe" });
/** An absolute URL this API writes (APP_URL, itself at most 1024 characters, and a short path). */
export const AppUrl = z.url().max(2048);

/** A user as the API answers it (the example is the one the OpenAPI document shows). */
export const USER_EXAMPLE = {
  id: "0b6c2a8e-8a53-4d6e-9a7c-2f0b1f4d6a11",
  username: "jane_doe",
  email: "jane@example.com",
  full_name: "Jane Doe",
  avatar_url: null,
  role: "user",
  is_active: true,
  is_superuser: false,
  email_verified: false,
  credits: 0,
  created_at: "2025-01-15T09:30:00.000Z",
  updated_at: "2025-01-15T09:30:00.000Z",
  last_login: "2025-01-15T09:31:12.000Z",
} as const;

export const UserSchema = z
  .object({
    id: Uuid,
    username: Username,
    email: Email,
    full_name: z.string().max(255).nullable(),
    avatar_url: AppUrl.nullable(),
    role: z.enum(userRoles),
    is_active: z.boolean(),
    is_superuser: z.boolean().openapi({ description: "True for admins." }),
    email_verified: z.boolean(),
    credits: int32(0),
    created_at: Timestamp,
    updated_at: Timestamp,
    last_login: Timestamp.nullable(),
  })
  .strict()
  .openapi("User", { example: USER_EXAMPLE });

export type User = z.infer<typeof UserSchema>;

/** A user row as it comes from drizzle (camelCase) or from raw SQL (snake_case). */
export interface UserRecord {
  id: string;
  username: string;
  email: string;
  fullName: string | null;
  avatarKey: string | null;
  role: User["role"];
  isActive: boolean;
  emailVerifiedAt: Date | string | null;
  credits: number;
  createdAt: Date | string;
  updatedAt: Date | string;
  lastLogin: Date | string | null;
}

const iso = (v: Date | string) => new Date(v).toISOString();

/** The public User object: never any hash or token. */
export function toUser(row: UserRecord, appUrl: string): User {
  return {
    id: row.id,
    username: row.username,
    email: row.email,
    full_name: row.fullName,
    avatar_url: row.avatarKey ? new URL(`/api/v1/avatars/${row.avatarKey}`, appUrl).toString() : null,
    role: row.role,
    is_active: row.isActive,
    is_superuser: row.role === "admin",
    email_verified: row.emailVerifiedAt !== null,
    credits: row.credits,
    created_at: iso(row.createdAt),
    updated_at: iso(row.updatedAt),
    last_login: row.lastLogin === null ? null : iso(row.lastLogin),
  };
}

/** Maps a snake_case row from raw SQL to a UserRecord. */
export function userFromSqlRow(r: Record<string, unknown>): UserRecord {
  return {
    id: r.id as string,
    username: r.username as string,
    email: r.email as string,
    fullName: (r.full_name as string | null) ?? null,
    avatarKey: (r.avatar_key as string | null) ?? null,
    role: r.role as User["role"],
    isActive: r.is_active as boolean,
    emailVerifiedAt: (r.email_verified_at as string | null) ?? null,
    credits: Number(r.credits),
    createdAt: r.created_at as string,
    updatedAt: r.updated_at as string,
    lastLogin: (r.last_login as string | null) ?? null,
  };
}
