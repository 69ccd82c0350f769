/**
 * Messages on the jobs queue. Work is written to Postgres first (outbox) and the message carries
 * only its kind and the row id, so a lost or replayed message never loses or duplicates work.
 */
import { z } from "zod";

export const JobMessageSchema = z.object({
  kind: z.string().min(1),
  id: z.string().min(1),
});

export type JobMessage = z.infer<typeof JobMessageSchema>;
