import { createRoute, z } from "@hono/zod-openapi";
import { Timestamp } from "../../lib/fields.ts";
import { COMMON_PROBLEMS, jsonContent, problems } from "../../lib/openapi.ts";
import { AppUrl, Email } from "../users/users.schemas.ts";
import { devOnly } from "./dev.middleware.ts";

/** Every path under here exists only when ENVIRONMENT is development (app.ts hides it otherwise). */
export const DEV_PATH_PREFIX = "/api/v1/dev/";

/** Schemas only the dev routes use (dropped from the document with them). */
export const DEV_SCHEMAS = ["Mailbox", "MailboxItem"];

export const MailboxQuery = z.object({
  to: z
    .string()
    .min(1)
    .max(255)
    .openapi({ param: { name: "to", in: "query" }, example: "jane@example.com" }),
});

export const MailboxItemSchema = z
  .object({
    to: Email,
    subject: z.string(),
    text: z.string(),
    links: z.array(AppUrl).openapi({ description: "The absolute URLs in the text, in order." }),
    created_at: Timestamp,
  })
  .strict()
  .openapi("MailboxItem");

export const MailboxSchema = z
  .object({ items: z.array(MailboxItemSchema).max(50) })
  .strict()
  .openapi("Mailbox", {
    example: {
      items: [
        {
          to: "jane@example.com",
          subject: "Verify your e-mail address",
          text: "Open this link to verify your address: http://127.0.0.1:8787/api/v1/auth/verify/q3Jx0c8mH7pQ2nB5vW9kL1sD4fG6hJ8aZ0xC2vB4nM6",
          links: ["http://127.0.0.1:8787/api/v1/auth/verify/q3Jx0c8mH7pQ2nB5vW9kL1sD4fG6hJ8aZ0xC2vB4nM6"],
          created_at: "2025-01-15T09:30:00.000Z",
        },
      ],
    },
  });

export const mailbox = createRoute({
  method: "get",
  path: "/api/v1/dev/mailbox",
  operationId: "devMailbox",
  tags: ["Dev"],
  summary: "E-mails sent to an address (development only)",
  description:
    "Every e-mail the Worker sent to `to` (case-insensitive), newest first (at most 50), so a developer can follow verification and reset links. Exists only when ENVIRONMENT is development.",
  security: [],
  middleware: [devOnly()] as const,
  request: { query: MailboxQuery },
  responses: {
    200: { description: "The messages.", content: jsonContent(MailboxSchema) },
    ...problems("UnprocessableContent", ...COMMON_PROBLEMS),
  },
});
export type MailboxRoute = typeof mailbox;
