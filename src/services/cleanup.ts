import { sql } from "drizzle-orm";
import type { Db } from "../db/client.ts";
import type { Config } from "../env.ts";
import { redriveTasks } from "../queues/jobs/task.ts";

export interface CleanupJob {
  name: string;
  /** Returns how many rows it touched. `env` gives the jobs that re-drive work the queue. */
  run(db: Db, config: Config, env: Env): Promise<number>;
}

/**
 * Sessions stay a while after they end so "logged-in devices" and replay detection have history;
 * after that they are only weight.
 */
export const SESSION_RETENTION_DAYS = 30;

/** What the cron trigger runs, in order. */
export const cleanupJobs: CleanupJob[] = [
  {
    name: "purge-ended-sessions",
    async run(db) {
      const result = await db.execute(sql`
        delete from sessions
        where expires_at < now() - make_interval(days => ${SESSION_RETENTION_DAYS})
           or revoked_at < now() - make_interval(days => ${SESSION_RETENTION_DAYS})`);
      return result.rowCount ?? 0;
    },
  },
  {
    // Security events are evidence for the user and for audits, kept SECURITY_EVENT_RETENTION_DAYS.
    name: "purge-old-security-events",
    async run(db, config) {
      const result = await db.execute(sql`
        delete from security_events
        where created_at < now() - make_interval(days => ${config.SECURITY_EVENT_RETENTION_DAYS})`);
      return result.rowCount ?? 0;
    },
  },
  {
    // Outbox re-drive: tasks a crash or a lost message left behind get their message again.
    name: "redrive-tasks",
    run: (db, config, env) => redriveTasks(db, config, env.JOBS_QUEUE),
  },
];
