export * from "./rate-limits.ts";
export * from "./security-events.ts";
export * from "./sessions.ts";
export * from "./users.ts";
export * from "./billing.ts";
