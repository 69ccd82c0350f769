import type { Db } from "../db/client.ts";
import type { Config } from "../env.ts";

export interface CleanupJob {
  name: string;
  /** Returns how many rows it touched. */
  run(db: Db, config: Config, ctx: ExecutionContext): Promise<number>;
}

/** What the cron trigger runs, in order. */
export const cleanupJobs: CleanupJob[] = [];
