import { sql } from "drizzle-orm";
import type { Db } from "../../db/client.ts";
import { withTimeout } from "../../lib/timeout.ts";

export type DependencyStatus = "healthy" | "unhealthy";

/** One `SELECT 1` through the request-path driver, bounded so a hung database cannot hang /health. */
export async function checkDatabase(db: Db, timeoutMs = 3000): Promise<DependencyStatus> {
  return withTimeout(db.execute(sql`select 1`), timeoutMs, "database").then(
    () => "healthy",
    () => "unhealthy",
  );
}
