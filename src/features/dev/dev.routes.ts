import { createRoute, z } from "@hono/zod-openapi";
import { COMMON_PROBLEMS, jsonContent, problems } from "../../lib/openapi.ts";
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
    to: z.string(),
    subject: z.string(),
    text: z.string(),
    links: z.array(z.url()).openapi({ description: "The absolute URLs in the text, in order." }),
    created_at: z.iso.datetime(),
  })
  .strict()
  .openapi("MailboxItem");

export const MailboxSchema = z
  .object({ items: z.array(MailboxItemSchema) })
  .strict()
  .openapi("Mailbox");

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
