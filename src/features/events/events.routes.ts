import { z } from "@hono/zod-openapi";
import { securityEventTypes } from "../../db/schema/security-events.ts";
import { COMMON_PROBLEMS, jsonContent, problems } from "../../lib/openapi.ts";
import { PaginationQuery, pageOf } from "../../lib/pagination.ts";
import { rolesFor } from "../../lib/permissions.ts";
import { protectedRoute } from "../../lib/protected-route.ts";

/**
 * Every key a security event's metadata carries today, closed (like every response object), so a
 * new key is a visible change of the contract: add it here when a writer starts to send it.
 */
const SecurityEventMetadata = z
  .object({
    reason: z
      .string()
      .optional()
      .openapi({ description: "`login_failed`: why (never shown to the client at login)." }),
    session_id: z.string().optional(),
    scope: z.string().optional().openapi({ description: "`logout`: `session` or `all`." }),
    sessions: z.number().int().optional().openapi({ description: "How many sessions were ended." }),
    sessions_ended: z.number().int().optional(),
    sessions_revoked: z.number().int().optional(),
    by: z.string().optional().openapi({ description: "Who did it when not the user: `admin`, `admin-cli`." }),
    from: z.string().optional().openapi({ description: "`email_changed`: the old address." }),
    to: z.string().optional().openapi({ description: "`email_changed`: the new address." }),
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
    id: z.uuid(),
    type: z.enum(securityEventTypes),
    ip: z.string().nullable(),
    user_agent: z.string().nullable(),
    created_at: z.iso.datetime(),
    metadata: SecurityEventMetadata,
  })
  .strict()
  .openapi("SecurityEvent");

const AuditEventSchema = z
  .object({
    id: z.uuid(),
    actor_id: z.uuid().nullable().openapi({ description: "Who acted; null for the admin CLI." }),
    target_id: z
      .uuid()
      .nullable()
      .openapi({ description: "The account acted on (it may since be deleted)." }),
    action: z.string().openapi({ example: "user.update" }),
    changes: AuditChanges,
    ip: z.string().nullable(),
    user_agent: z.string().nullable(),
    created_at: z.iso.datetime(),
  })
  .strict()
  .openapi("AuditEvent");

export const listMySecurityEvents = protectedRoute(
  { session: "in-statement" },
  {
    method: "get",
    path: "/api/v1/users/me/security-events",
    operationId: "listMySecurityEvents",
    tags: ["Users"],
    summary: "The caller's security events (newest first)",
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
        content: jsonContent(pageOf(SecurityEventSchema, "SecurityEventPage")),
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
        actor_id: z
          .uuid()
          .optional()
          .openapi({ param: { name: "actor_id", in: "query" } }),
        target_id: z
          .uuid()
          .optional()
          .openapi({ param: { name: "target_id", in: "query" } }),
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
        content: jsonContent(pageOf(AuditEventSchema, "AuditEventPage")),
      },
      ...problems("UnprocessableContent", ...COMMON_PROBLEMS),
    },
  },
);
export type ListAuditEventsRoute = typeof listAuditEvents;
