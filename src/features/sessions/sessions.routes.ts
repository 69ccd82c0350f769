import { z } from "@hono/zod-openapi";
import { COMMON_PROBLEMS, jsonContent, problems } from "../../lib/openapi.ts";
import { PaginationQuery, pageOf } from "../../lib/pagination.ts";
import { protectedRoute } from "../../lib/protected-route.ts";

/** A logged-in device (one live session). */
export const DeviceSchema = z
  .object({
    id: z.uuid(),
    user_agent: z.string().nullable(),
    ip: z.string().nullable(),
    country: z.string().nullable().openapi({ description: "From Cloudflare's geolocation, when known." }),
    city: z.string().nullable(),
    created_at: z.iso.datetime().openapi({ description: "When the device logged in." }),
    last_used_at: z.iso.datetime().openapi({ description: "The last token refresh from it." }),
    current: z.boolean().openapi({ description: "True for the session of the token making this request." }),
  })
  .strict()
  .openapi("Session");

const DevicePageSchema = pageOf(DeviceSchema, "SessionPage");

export const listSessions = protectedRoute(
  { session: "in-statement" },
  {
    method: "get",
    path: "/api/v1/users/me/sessions",
    operationId: "listMySessions",
    tags: ["Sessions"],
    summary: "The caller's logged-in devices (most recently used first)",
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
