import type { Logger } from "../../lib/logger.ts";
import type { Mailer, OutgoingEmail } from "./index.ts";

/**
 * Development and test provider: logs that a message went out (recipient and subject only, never
 * the body with its link). The message itself stays in the outbox row, which is what the dev
 * mailbox (GET /api/v1/dev/mailbox) lists.
 */
export class ConsoleMailer implements Mailer {
  constructor(private readonly logger: Logger) {}

  async send(message: OutgoingEmail): Promise<void> {
    this.logger.info("email sent (console provider)", {
      email_id: message.id,
      to: message.to,
      subject: message.subject,
    });
  }
}
