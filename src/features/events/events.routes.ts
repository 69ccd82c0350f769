import { z } from "@hono/zod-openapi";
import { securityEventTypes } from "../../db/schema/security-events.ts";
import { ClientIp, int32, Timestamp, UserAgent, Uuid } from "../../lib/fields.ts";
import { COMMON_PROBLEMS, jsonContent, problems } from "../../lib/openapi.ts";
import { PaginationQuery, pageOf } from "../../lib/pagination.ts";
import { rolesFor } from "../../lib/permissions.ts";
import { protectedRoute } from "../../lib/protected-route.ts";
import { Email } from "../users/users.schemas.ts";

/**
 * Every key a security event's metadata carries today, closed (like every response object), so a
 * new key is a visible change of the contract: add it here when a writer starts to send it.
 */
const SecurityEventMetadata = z
  .object({
    reason: z
      .string()
      .max(64)
      .regex(/^[a-z_]+$/)
      .optional()
      .openapi({
        description: "`login_failed`: why (never shown to the client at login).",
        example: "wrong_password",
      }),
    session_id: Uuid.optional(),
    current: z
      .boolean()
      .optional()
      .openapi({ description: "`session_revoked`: whether the session ended was the caller's own." }),
    scope: z.enum(["session", "all"]).optional().openapi({ description: "`logout`: one session or all." }),
    sessions: int32(0).optional().openapi({ description: "How many sessions were ended." }),
    sessions_ended: int32(0).optional(),
    sessions_revoked: int32(0).optional(),
    by: z.enum(["admin", "admin-cli"]).optional().openapi({ description: "Who did it when not the user." }),
    from: Email.optional().openapi({ description: "`email_changed`: the old address." }),
    to: Email.optional().openapi({ description: "`email_changed`: the new address." }),
  })
  .strict()
  .openapi("SecurityEventMetadata");

const BeforeAfter = z.object({ before: z.unknown(), after: z.unknown() }).strict().openapi("BeforeAfter");

/** The fields an audit entry may report (closed for the same reason as the metadata above). */
const AuditChanges = z
  .object({
    role: BeforeAfter.optional(),
    is_active: BeforeAfter.optional(),
    full_name: BeforeAfter.optional(),
    email_verified: BeforeAfter.optional(),
    username: BeforeAfter.optional(),
    email: BeforeAfter.optional(),
    live_sessions: BeforeAfter.optional(),
    credits: BeforeAfter.optional(),
    reason: BeforeAfter.optional(),
  })
  .strict()
  .openapi("AuditChanges", {
    description: "`{field: {before, after}}` of what changed.",
    example: { role: { before: "user", after: "moderator" } },
  });

const SecurityEventSchema = z
  .object({
    id: Uuid,
    type: z.enum(securityEventTypes),
    ip: ClientIp,
    user_agent: UserAgent,
    created_at: Timestamp,
    metadata: SecurityEventMetadata,
  })
  .strict()
  .openapi("SecurityEvent");

const SECURITY_EVENT_EXAMPLE = {
  id: "6a7b8c9d-0e1f-4a2b-8c3d-4e5f6a7b8c9d",
  type: "login_succeeded",
  ip: "203.0.113.7",
  user_agent: "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
  created_at: "2025-01-15T09:31:12.000Z",
  metadata: { session_id: "3f2b8c1e-9d4a-4e7b-8c2f-1a6d5e9b0c47" },
} as const;

const AuditEventSchema = z
  .object({
    id: Uuid,
    actor_id: Uuid.nullable().openapi({ description: "Who acted; null for the admin CLI." }),
    target_id: Uuid.nullable().openapi({ description: "The account acted on (it may since be deleted)." }),
    action: z
      .string()
      .max(100)
      .regex(/^[a-z_]+\.[a-z_]+$/)
      .openapi({ example: "user.update", description: "`user.*` from the API, `cli.*` from the admin CLI." }),
    changes: AuditChanges,
    ip: ClientIp,
    user_agent: UserAgent,
    created_at: Timestamp,
  })
  .strict()
  .openapi("AuditEvent");

const AUDIT_EVENT_EXAMPLE = {
  id: "7b8c9d0e-1f2a-4b3c-9d4e-5f6a7b8c9d0e",
  actor_id: "0b6c2a8e-8a53-4d6e-9a7c-2f0b1f4d6a11",
  target_id: "1c7d3b9f-9b64-4e5f-8b8d-3a1c2e5f7b22",
  action: "user.update",
  changes: { role: { before: "user", after: "moderator" } },
  ip: "203.0.113.7",
  user_agent: "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
  created_at: "2025-01-15T09:40:00.000Z",
} as const;

export const listMySecurityEvents = protectedRoute(
  { session: "in-statement" },
  {
    method: "get",
    path: "/api/v1/users/me/security-events",
    operationId: "listMySecurityEvents",
    tags: ["Users"],
    summary: "The caller's security events (newest first)",
    description:
      "Logins and failed logins, logouts, refresh-token reuse, password and e-mail changes, verifications and ended sessions of the caller's account.",
    request: {
      query: PaginationQuery.extend({
        type: z
          .enum(securityEventTypes)
          .optional()
          .openapi({ param: { name: "type", in: "query" }, description: "Only events of this type." }),
      }),
    },
    responses: {
      200: {
        description: "A page of events.",
        content: jsonContent(pageOf(SecurityEventSchema, "SecurityEventPage", SECURITY_EVENT_EXAMPLE)),
      },
      ...problems("UnprocessableContent", ...COMMON_PROBLEMS),
    },
  },
);
export type ListMySecurityEventsRoute = typeof listMySecurityEvents;

export const listAuditEvents = protectedRoute(
  { session: "in-statement", roles: rolesFor("audit:list") },
  {
    method: "get",
    path: "/api/v1/audit-events",
    operationId: "listAuditEvents",
    tags: ["Users"],
    summary: "The staff audit log (newest first)",
    description: "Append-only: no route changes or deletes an entry.",
    request: {
      query: PaginationQuery.extend({
        actor_id: Uuid.optional().openapi({ param: { name: "actor_id", in: "query" } }),
        target_id: Uuid.optional().openapi({ param: { name: "target_id", in: "query" } }),
        action: z
          .string()
          .min(1)
          .max(100)
          .optional()
          .openapi({ param: { name: "action", in: "query" }, example: "user.update" }),
      }),
    },
    responses: {
      200: {
        description: "A page of entries.",
        content: jsonContent(pageOf(AuditEventSchema, "AuditEventPage", AUDIT_EVENT_EXAMPLE)),
      },
      ...problems("UnprocessableContent", ...COMMON_PROBLEMS),
    },
  },
);
export type ListAuditEventsRoute = typeof listAuditEvents;
