/**
 * Applies the SQL migrations in drizzle/ with drizzle-orm's migrator over plain `pg`.
 * CLI: `npm run db:migrate` (DATABASE_URL, or the database `npm run dev` uses).
 */
import { fileURLToPath } from "node:url";
import { drizzle } from "drizzle-orm/node-postgres";
import { migrate } from "drizzle-orm/node-postgres/migrator";
import pg from "pg";

export const MIGRATIONS_FOLDER = fileURLToPath(new URL("../../drizzle", import.meta.url));

export async function applyMigrations(databaseUrl: string): Promise<void> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    // Migration notices ("schema already exists, skipping") are noise here.
    client.on("notice", () => {});
    await migrate(drizzle(client), { migrationsFolder: MIGRATIONS_FOLDER });
  } finally {
    await client.end();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { devDatabaseUrl, DEV_DATA_DIR } = await import("./dev-defaults.ts");
  const url = process.env.DATABASE_URL ?? devDatabaseUrl();
  if (!url) {
    console.error(`no DATABASE_URL and no local cluster in ${DEV_DATA_DIR} yet: run \`npm run dev\` once`);
    process.exit(1);
  }
  await applyMigrations(url);
  console.log(`migrations applied to ${url.replace(/:[^:@/]*@/, ":***@")}`);
}
