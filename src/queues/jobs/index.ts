/**
 * Registers every job handler with the consumer (each module calls `jobHandlers.set` on import).
 * Imported once by the Worker entry; add one line per job kind.
 */
import "./email.ts";
import "./task.ts";
