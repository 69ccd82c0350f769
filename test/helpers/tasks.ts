/**
 * Background-task helpers: an env whose jobs queue records what is sent (so tests deliver messages to
 * the consumer themselves, deterministically), and delivery of messages to the real consumer.
 */
import { expect } from "vitest";
import type { JobMessage } from "../../src/queues/messages.ts";
import { runConsumer } from "./consumer.ts";
import type { TokenPair } from "./factories.ts";
import { api, envWith, type TestEnv, testEnv } from "./harness.ts";

/** An env whose JOBS_QUEUE records every message sent (send and sendBatch). */
export function recordingEnv(overrides: Record<string, unknown> = {}): { env: TestEnv; sent: JobMessage[] } {
  const sent: JobMessage[] = [];
  const queue = {
    send: async (body: JobMessage) => {
      sent.push(body);
    },
    sendBatch: async (messages: { body: JobMessage }[]) => {
      sent.push(...messages.map((m) => m.body));
    },
  };
  return { env: envWith({ JOBS_QUEUE: queue, ...overrides }), sent };
}

/** Delivers messages to the Worker's queue consumer in one batch and returns the queue result. */
export const deliver = (bodies: unknown[], env: TestEnv = testEnv, attempts = 1) =>
  runConsumer(bodies, env, { attempts });

/** POSTs a task (202 expected) through an env that records the queued message; returns both. */
export async function startTask(
  user: { tokens: TokenPair },
  body: unknown,
): Promise<{ id: string; task: any; sent: JobMessage[] }> {
  const { env, sent } = recordingEnv();
  const res = await api("POST", "/api/v1/tasks", { token: user.tokens.access_token, json: body, env });
  expect(res.status, res.dump).toBe(202);
  return { id: res.body.id, task: res.body, sent };
}

/** The task as its owner sees it over HTTP. */
export async function fetchTask(user: { tokens: TokenPair }, id: string) {
  const res = await api("GET", `/api/v1/tasks/${id}`, { token: user.tokens.access_token });
  expect(res.status, res.dump).toBe(200);
  return res.body;
}
