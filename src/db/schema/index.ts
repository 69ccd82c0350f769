export * from "./audit-events.ts";
export * from "./rate-limits.ts";
export * from "./security-events.ts";
export * from "./sessions.ts";
export * from "./users.ts";
