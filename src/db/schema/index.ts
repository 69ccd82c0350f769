export * from "./billing.ts";
export * from "./rate-limits.ts";
export * from "./security-events.ts";
export * from "./sessions.ts";
export * from "./users.ts";
