import { sql } from "drizzle-orm";
import type { Db } from "../db/client.ts";
import type { Config } from "../env.ts";
import { redriveTasks, refundEndedTasks } from "../queues/jobs/task.ts";
import { redriveEmails } from "./outbox.ts";
import { rateRules } from "./rate-limit/index.ts";

export interface CleanupJob {
  name: string;
  /** Returns how many rows it touched. `env` gives jobs the bindings (the queue, for re-drives). */
  run(db: Db, config: Config, env: Env): Promise<number>;
}

/**
 * Sent and failed e-mails are kept this long (the dev mailbox reads them; support may look), then
 * deleted: their bodies hold one-time links, dead by then but no reason to keep.
 */
export const EMAIL_RETENTION_DAYS = 7;

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
    // Rows only exist for windows counted during a Redis outage; the table records no window length,
    // so "ended" is measured with the longest window of any rule.
    name: "purge-rate-limit-counters",
    async run(db, config) {
      const longest = Math.max(...Object.values(rateRules(config)).map((rule) => rule.windowSeconds));
      const result = await db.execute(sql`
        delete from rate_limit_counters
        where window_start < now() - interval '1 day' - make_interval(secs => ${longest})`);
      return result.rowCount ?? 0;
    },
  },
  {
    // Lost queue messages and crashed consumers: see services/outbox.ts.
    name: "redrive-email-outbox",
    run: (db, config, env) => redriveEmails(db, config, env.JOBS_QUEUE),
  },
  {
    // Used or expired one-time tokens can never be consumed again; a day's grace keeps them for support.
    name: "purge-one-time-tokens",
    async run(db) {
      const result = await db.execute(sql`
        delete from one_time_tokens
        where expires_at < now() - interval '1 day' or used_at < now() - interval '1 day'`);
      return result.rowCount ?? 0;
    },
  },
  {
    name: "purge-old-emails",
    async run(db) {
      const result = await db.execute(sql`
        delete from email_outbox
        where status in ('sent', 'failed')
          and created_at < now() - make_interval(days => ${EMAIL_RETENTION_DAYS})`);
      return result.rowCount ?? 0;
    },
  },
  {
    // Outbox re-drive: tasks a crash or a lost message left behind get their message again.
    name: "redrive-tasks",
    run: (db, config, env) => redriveTasks(db, config, env.JOBS_QUEUE),
  },
  {
    // Failed and revoked tasks give back what they cost, exactly once.
    name: "refund-ended-tasks",
    run: (db) => refundEndedTasks(db),
  },
];
