import { z } from "@hono/zod-openapi";
import { userRoles } from "../../db/schema/index.ts";

export const UserSchema = z
  .object({
    id: z.uuid(),
    username: z.string(),
    email: z.email(),
    full_name: z.string().nullable(),
    avatar_url: z.url().nullable(),
    role: z.enum(userRoles),
    is_active: z.boolean(),
    is_superuser: z.boolean().openapi({ description: "True for admins." }),
    email_verified: z.boolean(),
    credits: z.number().int(),
    created_at: z.iso.datetime(),
    updated_at: z.iso.datetime(),
    last_login: z.iso.datetime().nullable(),
  })
  .strict()
  .openapi("User");

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

export const Username = z
  .string()
  .min(3)
  .max(50)
  .regex(/^[A-Za-z0-9_]+$/, "Only letters, digits and underscores")
  .openapi({ example: "jane_doe" });
export const Email = z.email().max(255).openapi({ example: "jane@example.com" });
export const FullName = z.string().trim().min(1).max(255).openapi({ example: "Jane Doe" });
