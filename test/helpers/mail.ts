/**
 * E-mail in tests: drive the real queue consumer over what the Worker queued, read the dev mailbox,
 * and stand in for Resend at the HTTP boundary (the only thing mocked).
 */
import { expect, vi } from "vitest";
import { runConsumer } from "./consumer.ts";
import { api, envWith, type TestEnv, testEnv } from "./harness.ts";
import { jobsQueue } from "./queue.ts";

export { QUEUE_NAME, runConsumer } from "./consumer.ts";

/** The env in which the dev mailbox exists. */
export const devEnv = envWith({ ENVIRONMENT: "development" });

/** Hands every e-mail message the Worker queued so far to the real consumer (and forgets them). */
export async function deliverPendingMail(env: TestEnv = testEnv) {
  const bodies = jobsQueue.take((b) => (b as { kind?: string } | null)?.kind === "email");
  return runConsumer(bodies, env);
}

export interface MailboxItem {
  to: string;
  subject: string;
  text: string;
  links: string[];
  created_at: string;
}

/** The dev mailbox of `to`, newest first (through HTTP, in the development env). */
export async function mailbox(to: string): Promise<MailboxItem[]> {
  const res = await api("GET", `/api/v1/dev/mailbox?to=${encodeURIComponent(to)}`, { env: devEnv });
  expect(res.status, res.dump).toBe(200);
  return res.body.items;
}

/** Delivers what is queued and returns the newest message to `to` (fails when there is none). */
export async function latestMail(to: string): Promise<MailboxItem> {
  await deliverPendingMail();
  const [latest] = await mailbox(to);
  expect(latest, `no mail for ${to}`).toBeDefined();
  return latest as MailboxItem;
}

/** The token in a verification link (…/verify/TOKEN) or a reset link (…#token=TOKEN). */
export function tokenFrom(link: string): string {
  const match = /\/verify\/([^/?#]+)$/.exec(link) ?? /#token=([^&]+)$/.exec(link);
  if (!match?.[1]) throw new Error(`no token in ${link}`);
  return decodeURIComponent(match[1]);
}

export interface ResendCall {
  url: string;
  method: string;
  headers: Record<string, string>;
  body: any;
}

/**
 * Answers requests to api.resend.com with `status` (every other request, e.g. to the database
 * gateway, goes through) and records them. Restore with `vi.restoreAllMocks()`.
 */
export function mockResend(status: number | (() => number) = 200): ResendCall[] {
  const calls: ResendCall[] = [];
  const realFetch = globalThis.fetch;
  vi.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => {
    const request = new Request(input as RequestInfo, init as RequestInit);
    if (new URL(request.url).hostname !== "api.resend.com") return realFetch(input as RequestInfo, init);
    calls.push({
      url: request.url,
      method: request.method,
      headers: Object.fromEntries(request.headers),
      body: await request.json(),
    });
    const code = typeof status === "function" ? status() : status;
    return new Response(JSON.stringify(code < 300 ? { id: crypto.randomUUID() } : { message: "down" }), {
      status: code,
      headers: { "Content-Type": "application/json" },
    });
  });
  return calls;
}

/** An env whose mailer is Resend (its HTTP API mocked with mockResend). */
export const resendEnv = (overrides: Record<string, unknown> = {}) =>
  envWith({
    EMAIL_PROVIDER: "resend",
    RESEND_API_KEY: "re_test_key",
    EMAIL_FROM: "auth@example.com",
    ...overrides,
  });
