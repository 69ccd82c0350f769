import { sql } from "drizzle-orm";
import { index, pgTable, timestamp, uniqueIndex, uuid, varchar } from "drizzle-orm/pg-core";

/**
 * Addresses left before sign-up (a waiting list). One row per address, unique case-insensitively;
 * `converted_at` is set when an account with that address is registered.
 */
export const preRegistrations = pgTable(
  "pre_registrations",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    email: varchar("email", { length: 255 }).notNull(),
    /** Where the visitor came from (a campaign, a landing page); free text chosen by the client. */
    source: varchar("source", { length: 100 }),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    convertedAt: timestamp("converted_at", { withTimezone: true }),
  },
  (t) => [
    uniqueIndex("pre_registrations_email_lower_key").on(sql`lower(${t.email})`),
    index("pre_registrations_created_at_idx").on(t.createdAt),
  ],
);
