/**
 * Sending e-mail: one `Mailer` interface, a provider per EMAIL_PROVIDER. Providers only deliver; the
 * outbox (services/outbox.ts) decides what to send, when, and how often to retry.
 */
import type { Config } from "../../env.ts";
import type { Logger } from "../../lib/logger.ts";
import { ConsoleMailer } from "./console.ts";
import { ResendMailer } from "./resend.ts";

/** One message to one recipient, already rendered. */
export interface OutgoingEmail {
  /** Stable per message (the outbox row id): providers that support it deduplicate retries with it. */
  id: string;
  to: string;
  subject: string;
  text: string;
  html: string;
}

/**
 * Delivers a message or throws (the caller retries). Must not log bodies: they carry one-time links.
 *
 * @example
 * await createMailer(config, logger).send({ id, to, subject, text, html });
 */
export interface Mailer {
  send(message: OutgoingEmail): Promise<void>;
}

/** The mailer EMAIL_PROVIDER names (config validation guarantees RESEND_API_KEY for resend). */
export function createMailer(config: Config, logger: Logger): Mailer {
  if (config.EMAIL_PROVIDER === "resend") {
    return new ResendMailer({ apiKey: config.RESEND_API_KEY as string, from: config.EMAIL_FROM });
  }
  return new ConsoleMailer(logger);
}
