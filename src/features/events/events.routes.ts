import { z } from "@hono/zod-openapi";
import { securityEventTypes } from "../../db/schema/security-events.ts";
import { COMMON_PROBLEMS, jsonContent, problems } from "../../lib/openapi.ts";
import { PaginationQuery, pageOf } from "../../lib/pagination.ts";
import { rolesFor } from "../../lib/permissions.ts";
import { protectedRoute } from "../../lib/protected-route.ts";

const SecurityEventSchema = z
  .object({
    id: z.uuid(),
    type: z.enum(securityEventTypes),
    ip: z.string().nullable(),
    user_agent: z.string().nullable(),
    created_at: z.iso.datetime(),
    metadata: z.record(z.string(), z.unknown()),
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
    changes: z.record(z.string(), z.object({ before: z.unknown(), after: z.unknown() })).openapi({
      description: "`{field: {before, after}}` of what changed.",
      example: { role: { before: "user", after: "moderator" } },
    }),
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
