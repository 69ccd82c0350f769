import { sql } from "drizzle-orm";
import type { Db } from "../../db/client.ts";

export type DependencyStatus = "healthy" | "unhealthy";

/** One `SELECT 1` through the request-path driver, bounded so a hung database cannot hang /health. */
export async function checkDatabase(db: Db, timeoutMs = 3000): Promise<DependencyStatus> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<DependencyStatus>((resolve) => {
    timer = setTimeout(() => resolve("unhealthy"), timeoutMs);
  });
  const query = db.execute(sql`select 1`).then(
    () => "healthy" as const,
    () => "unhealthy" as const,
  );
  try {
    return await Promise.race([query, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
