import type { Mailer, OutgoingEmail } from "./index.ts";

/** Resend's send endpoint (https://resend.com/docs/api-reference/emails/send-email). */
export const RESEND_API_URL = "https://api.resend.com/emails";

/** The error a failed send throws: the status only (Resend's body may echo the message). */
export class EmailProviderError extends Error {
  override name = "EmailProviderError";
  constructor(readonly status: number) {
    super(`resend answered ${status}`);
  }
}

/**
 * Sends through Resend's HTTP API with `fetch`. The outbox row id goes in `Idempotency-Key`, so a
 * retry after a lost response (the provider sent, we never heard) is not delivered twice.
 */
export class ResendMailer implements Mailer {
  constructor(private readonly options: { apiKey: string; from: string }) {}

  async send(message: OutgoingEmail): Promise<void> {
    const res = await fetch(RESEND_API_URL, {
      method: "POST",
      headers: {
        Authorization: `Bearer ${this.options.apiKey}`,
        "Content-Type": "application/json",
        "Idempotency-Key": `email/${message.id}`,
      },
      body: JSON.stringify({
        from: this.options.from,
        to: [message.to],
        subject: message.subject,
        text: message.text,
        html: message.html,
      }),
    });
    // Drained either way so the connection can be reused.
    await res.body?.cancel();
    if (!res.ok) throw new EmailProviderError(res.status);
  }
}
