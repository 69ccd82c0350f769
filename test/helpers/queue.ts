/**
 * The jobs queue as tests see it. Miniflare does deliver JOBS_QUEUE messages to the Worker's queue
 * handler by itself, but with the bindings of vitest.config.ts only (no DATABASE_URL: the database
 * is started later, by the global setup), so that delivery can never reach the test database. The
 * test env therefore binds JOBS_QUEUE to this recorder, and tests hand what it recorded to the real
 * consumer (`worker.queue`) explicitly: see deliverQueued in mail.ts.
 */

import { env } from "cloudflare:test";

/** The real JOBS_QUEUE binding (miniflare's), for the tests that must go through it. */
export const baseJobsQueue = (env as unknown as { JOBS_QUEUE: Queue }).JOBS_QUEUE;

/** Records what the Worker puts on the queue (the `Queue` binding's send and sendBatch). */
export class RecordingQueue {
  readonly bodies: unknown[] = [];

  async send(body: unknown): Promise<void> {
    this.bodies.push(body);
  }

  async sendBatch(messages: Iterable<{ body: unknown }>): Promise<void> {
    for (const m of messages) this.bodies.push(m.body);
  }

  /** Removes and returns the recorded bodies that `keep` selects (default: all). */
  take(keep: (body: unknown) => boolean = () => true): unknown[] {
    const taken: unknown[] = [];
    for (let i = 0; i < this.bodies.length; ) {
      if (keep(this.bodies[i])) taken.push(...this.bodies.splice(i, 1));
      else i++;
    }
    return taken;
  }
}

/** The recorder bound as JOBS_QUEUE in the test env (one per test file's isolate). */
export const jobsQueue = new RecordingQueue();
