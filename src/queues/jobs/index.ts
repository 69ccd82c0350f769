/** Registers every job handler with the consumer (imported once, by the Worker entry). */
import "./task.ts";
