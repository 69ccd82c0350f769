import type { AppRouteHandler } from "../../lib/types.ts";
import type { MailboxRoute } from "./dev.routes.ts";
import { listMailbox } from "./dev.service.ts";

export const mailbox: AppRouteHandler<MailboxRoute> = async (c) => {
  c.header("Cache-Control", "no-store");
  return c.json({ items: await listMailbox(c.get("db"), c.req.valid("query").to) }, 200);
};
