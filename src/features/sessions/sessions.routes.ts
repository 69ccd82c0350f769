import { z } from "@hono/zod-openapi";
import { CLIENT_INFO_LIMITS, COUNTRY_PATTERN } from "../../lib/client-info.ts";
import { ClientIp, Timestamp, UserAgent, Uuid } from "../../lib/fields.ts";
import { COMMON_PROBLEMS, jsonContent, problems } from "../../lib/openapi.ts";
import { PaginationQuery, pageOf } from "../../lib/pagination.ts";
import { protectedRoute } from "../../lib/protected-route.ts";

/** A logged-in device (one live session). */
export const DeviceSchema = z
  .object({
    id: Uuid,
    user_agent: UserAgent,
    ip: ClientIp,
    country: z
      .string()
      .max(2)
      .regex(COUNTRY_PATTERN)
      .nullable()
      .openapi({ description: "ISO 3166-1 alpha-2, from Cloudflare's geolocation, when known." }),
    city: z.string().max(CLIENT_INFO_LIMITS.city).nullable(),
    created_at: Timestamp.openapi({ description: "When the device logged in." }),
    last_used_at: Timestamp.openapi({ description: "The last token refresh from it." }),
    current: z.boolean().openapi({ description: "True for the session of the token making this request." }),
  })
  .strict()
  .openapi("Session");

const DevicePageSchema = pageOf(DeviceSchema, "SessionPage", {
  id: "3f2b8c1e-9d4a-4e7b-8c2f-1a6d5e9b0c47",
  user_agent: "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
  ip: "203.0.113.7",
  country: "DE",
  city: "Berlin",
  created_at: "2025-01-15T09:30:00.000Z",
  last_used_at: "2025-01-15T10:12:40.000Z",
  current: true,
});

export const listSessions = protectedRoute(
  { session: "in-statement" },
  {
    method: "get",
    path: "/api/v1/users/me/sessions",
    operationId: "listMySessions",
    tags: ["Sessions"],
    summary: "The caller's logged-in devices (most recently used first)",
    description: "Live sessions only; `current` marks the one making this request.",
    request: { query: PaginationQuery },
    responses: {
      200: { description: "A page of live sessions.", content: jsonContent(DevicePageSchema) },
      ...problems("UnprocessableContent", ...COMMON_PROBLEMS),
    },
  },
);
export type ListSessionsRoute = typeof listSessions;

export const revokeSession = protectedRoute(
  { session: "in-statement" },
  {
    method: "delete",
    path: "/api/v1/users/me/sessions/{id}",
    operationId: "revokeMySession",
    tags: ["Sessions"],
    summary: "Log a device out",
    description:
      "Its access and refresh tokens stop working at once. Ending the current session is a logout. Another user's session, an ended one or a malformed id is 404.",
    request: {
      // Any string: a malformed id is 404 like any other id the caller does not have, not 422.
      params: z.object({
        id: z
          .string()
          .max(100)
          .openapi({
            param: { name: "id", in: "path" },
            format: "uuid",
            example: "3f2b8c1e-9d4a-4e7b-8c2f-1a6d5e9b0c47",
          }),
      }),
    },
    responses: {
      204: { description: "The session ended." },
      ...problems("NotFound", "UnprocessableContent", ...COMMON_PROBLEMS),
    },
  },
);
export type RevokeSessionRoute = typeof revokeSession;
