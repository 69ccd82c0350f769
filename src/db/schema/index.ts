export * from "./security-events.ts";
export * from "./sessions.ts";
export * from "./users.ts";
export * from "./tasks.ts";
