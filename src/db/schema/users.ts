import { sql } from "drizzle-orm";
import {
  boolean,
  check,
  index,
  integer,
  pgEnum,
  pgTable,
  text,
  timestamp,
  uniqueIndex,
  uuid,
  varchar,
} from "drizzle-orm/pg-core";

export const userRoles = ["user", "moderator", "admin"] as const;
export const userRole = pgEnum("user_role", userRoles);

/**
 * Accounts. Username and e-mail are unique case-insensitively (unique indexes on lower()). The list
 * (GET /users) is served by trigram GIN indexes for `q` (ilike '%q%') and by (filter, created_at,
 * id) b-trees for its order (ascending: a backward scan is exactly `desc`, nulls first, the
 * default the queries use); docs/users-list-query-plan.md has the plans at 100,000 users.
 */
export const users = pgTable(
  "users",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    username: varchar("username", { length: 50 }).notNull(),
    email: varchar("email", { length: 255 }).notNull(),
    passwordHash: text("password_hash").notNull(),
    fullName: varchar("full_name", { length: 255 }),
    avatarKey: text("avatar_key"),
    role: userRole("role").notNull().default("user"),
    isActive: boolean("is_active").notNull().default(true),
    emailVerifiedAt: timestamp("email_verified_at", { withTimezone: true }),
    credits: integer("credits").notNull().default(0),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
    lastLogin: timestamp("last_login", { withTimezone: true }),
    /** Stripe Customer id, created on the first checkout; internal, never in the User object. */
    stripeCustomerId: text("stripe_customer_id"),
  },
  (t) => [
    uniqueIndex("users_username_lower_key").on(sql`lower(${t.username})`),
    uniqueIndex("users_email_lower_key").on(sql`lower(${t.email})`),
    // The database, not only the code, refuses a negative balance.
    check("users_credits_check", sql`${t.credits} >= 0`),
    index("users_username_trgm_idx").using("gin", t.username.op("gin_trgm_ops")),
    index("users_email_trgm_idx").using("gin", t.email.op("gin_trgm_ops")),
    index("users_full_name_trgm_idx").using("gin", t.fullName.op("gin_trgm_ops")),
    index("users_created_idx").on(t.createdAt, t.id),
    index("users_role_created_idx").on(t.role, t.createdAt, t.id),
    index("users_active_created_idx").on(t.isActive, t.createdAt, t.id),
  ],
);

export type UserRow = typeof users.$inferSelect;
export type UserRole = (typeof userRoles)[number];
