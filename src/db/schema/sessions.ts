import { boolean, index, pgTable, text, timestamp, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { users } from "./users.ts";

/**
 * One row per logged-in device. Refresh tokens are never stored, only their SHA-256 hashes:
 * the current one and the one it replaced (for the concurrent-use grace); every older one is in
 * `retired_refresh_tokens` (to detect replays, which revoke the session).
 */
export const sessions = pgTable(
  "sessions",
  {
    id: uuid("id").primaryKey(),
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    refreshHash: text("refresh_hash").notNull(),
    previousRefreshHash: text("previous_refresh_hash"),
    rotatedAt: timestamp("rotated_at", { withTimezone: true }),
    rememberMe: boolean("remember_me").notNull().default(false),
    expiresAt: timestamp("expires_at", { withTimezone: true }).notNull(),
    userAgent: text("user_agent"),
    ip: text("ip"),
    country: text("country"),
    city: text("city"),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    lastUsedAt: timestamp("last_used_at", { withTimezone: true }).notNull().defaultNow(),
    revokedAt: timestamp("revoked_at", { withTimezone: true }),
  },
  (t) => [
    uniqueIndex("sessions_refresh_hash_key").on(t.refreshHash),
    index("sessions_previous_refresh_hash_idx").on(t.previousRefreshHash),
    index("sessions_user_id_idx").on(t.userId),
  ],
);

export type SessionRow = typeof sessions.$inferSelect;

/**
 * Every refresh-token hash a session has rotated past, however many rotations ago: presenting one
 * is a replay and revokes the session. Rows go with their session (purged by the cron trigger).
 */
export const retiredRefreshTokens = pgTable(
  "retired_refresh_tokens",
  {
    tokenHash: text("token_hash").primaryKey(),
    sessionId: uuid("session_id")
      .notNull()
      .references(() => sessions.id, { onDelete: "cascade" }),
    retiredAt: timestamp("retired_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index("retired_refresh_tokens_session_id_idx").on(t.sessionId)],
);
