/**
 * Session liveness as a SQL fragment, so routes that read the database anyway check the session in
 * the same statement (no extra round trip), and a revoked session's token stops working at once.
 */
import { type SQL, sql } from "drizzle-orm";
import type { AuthContext } from "../lib/types.ts";

/** `EXISTS (...)`: the token's session belongs to its user, is not revoked and has not expired. */
export function liveSession(auth: Pick<AuthContext, "sessionId" | "userId">): SQL {
  return sql`exists (select 1 from sessions s where s.id = ${auth.sessionId} and s.user_id = ${auth.userId} and s.revoked_at is null and s.expires_at > now())`;
}
