import { integer, pgTable, primaryKey, text, timestamp } from "drizzle-orm/pg-core";

/**
 * Fixed-window counters for the credential rules while Redis is down (see
 * src/services/rate-limit/database.ts); empty while Redis is healthy. The cleanup cron purges
 * windows that ended over a day ago.
 */
export const rateLimitCounters = pgTable(
  "rate_limit_counters",
  {
    /** `<rule>:<key>`, e.g. `login:ip:192.0.2.7`. */
    key: text("key").notNull(),
    windowStart: timestamp("window_start", { withTimezone: true }).notNull(),
    count: integer("count").notNull(),
  },
  (t) => [primaryKey({ columns: [t.key, t.windowStart] })],
);
