import { index, jsonb, pgEnum, pgTable, text, timestamp, uuid } from "drizzle-orm/pg-core";
import { users } from "./users.ts";

export const securityEventTypes = [
  "login_succeeded",
  "login_failed",
  "logout",
  "refresh_token_reused",
  "password_changed",
  "password_reset",
  "email_changed",
  "email_verified",
  "session_revoked",
] as const;
export const securityEventType = pgEnum("security_event_type", securityEventTypes);

/** What happened to an account, for the user (security events) and admins (audit). */
export const securityEvents = pgTable(
  "security_events",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    userId: uuid("user_id").references(() => users.id, { onDelete: "cascade" }),
    type: securityEventType("type").notNull(),
    ip: text("ip"),
    userAgent: text("user_agent"),
    metadata: jsonb("metadata").$type<Record<string, unknown>>().notNull().default({}),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index("security_events_user_created_idx").on(t.userId, t.createdAt)],
);

export type SecurityEventType = (typeof securityEventTypes)[number];
