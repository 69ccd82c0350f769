import { defineConfig } from "drizzle-kit";

// `npm run db:generate` writes SQL migrations into drizzle/ from the schema files;
// `npm run db:migrate` applies them (scripts/local/migrate.ts) to DATABASE_URL or the local database.
export default defineConfig({
  dialect: "postgresql",
  schema: "./src/db/schema/index.ts",
  out: "./drizzle",
  dbCredentials: { url: process.env.DATABASE_URL ?? "postgres://postgres:postgres@127.0.0.1:54329/auth_api" },
});
