import { index, jsonb, pgTable, text, timestamp, uuid } from "drizzle-orm/pg-core";

/** `{field: {before, after}}` of what an audited action changed. */
export type AuditChanges = Record<string, { before: unknown; after: unknown }>;

/**
 * What staff (and the admin CLI) did to accounts. Append-only: no route updates or deletes rows,
 * and the ids carry no foreign keys, so the record outlives the users it names (a deleted user's
 * row must not cascade its own audit trail away). See docs/decisions.md for the grants.
 */
export const auditEvents = pgTable(
  "audit_events",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    /** Who acted; null for the admin CLI (an operator with database access). */
    actorId: uuid("actor_id"),
    /** The account acted on. */
    targetId: uuid("target_id"),
    /** e.g. `user.update`, `user.delete`, `user.sessions_revoke`, `cli.set_role`. */
    action: text("action").notNull(),
    changes: jsonb("changes").$type<AuditChanges>().notNull().default({}),
    ip: text("ip"),
    userAgent: text("user_agent"),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index("audit_events_created_idx").on(t.createdAt, t.id),
    index("audit_events_actor_created_idx").on(t.actorId, t.createdAt),
    index("audit_events_target_created_idx").on(t.targetId, t.createdAt),
    index("audit_events_action_created_idx").on(t.action, t.createdAt),
  ],
);
