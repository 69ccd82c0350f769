export * from "./billing.ts";
export * from "./email.ts";
export * from "./pre-registrations.ts";
export * from "./rate-limits.ts";
export * from "./security-events.ts";
export * from "./sessions.ts";
export * from "./tasks.ts";
export * from "./users.ts";
