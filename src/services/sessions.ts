/**
 * Session liveness. Routes that read the database anyway check the session in the same statement
 * (`liveSession` as a WHERE fragment, no extra round trip); others use `isSessionLive`. Either way a
 * revoked session's token stops working at once.
 */
import { type SQL, sql } from "drizzle-orm";
import type { Db } from "../db/client.ts";
import type { AuthContext } from "../lib/types.ts";

type SessionRef = Pick<AuthContext, "sessionId" | "userId">;

/** `EXISTS (...)`: the token's session belongs to its user, is not revoked and has not expired. */
export function liveSession(auth: SessionRef): SQL {
  return sql`exists (select 1 from sessions s where s.id = ${auth.sessionId} and s.user_id = ${auth.userId} and s.revoked_at is null and s.expires_at > now())`;
}

/** One query: is the session still live? */
export async function isSessionLive(db: Db, auth: SessionRef): Promise<boolean> {
  const result = await db.execute<{ live: boolean }>(sql`select ${liveSession(auth)} as live`);
  return result.rows[0]?.live === true;
}
