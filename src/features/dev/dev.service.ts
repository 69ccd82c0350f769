/** The dev mailbox: e-mails sent, read back from the outbox (development only). */
import { sql } from "drizzle-orm";
import type { Db } from "../../db/client.ts";

/** One message as the mailbox lists it. */
export interface MailboxItem {
  to: string;
  subject: string;
  text: string;
  links: string[];
  created_at: string;
}

const URL_IN_TEXT = /https?:\/\/[^\s<>"']+/g;

/** The absolute http(s) URLs in `text`, in order. */
export const linksIn = (text: string): string[] => text.match(URL_IN_TEXT) ?? [];

/** Sent e-mails to `to` (case-insensitive), newest first, at most 50. One round trip. */
export async function listMailbox(db: Db, to: string): Promise<MailboxItem[]> {
  const result = await db.execute<{ to: string; subject: string; text: string; created_at: string }>(sql`
    select "to", payload->>'subject' as subject, payload->>'text' as text, created_at
    from email_outbox
    where lower("to") = lower(${to}) and status = 'sent'
    order by created_at desc, id desc
    limit 50`);
  return result.rows.map((r) => ({
    to: r.to,
    subject: r.subject,
    text: r.text,
    links: linksIn(r.text),
    created_at: new Date(r.created_at).toISOString(),
  }));
}
