import { clusterPassword, localPostgresUrl } from "./postgres.ts";

/** Fixed local addresses used by `npm run dev` and the admin CLI (the test run picks free ports instead). */
export const DEV_POSTGRES_PORT = Number(process.env.DEV_POSTGRES_PORT ?? 54329);
/** Port of the gateway `npm run dev` starts. */
export const DEV_GATEWAY_PORT = Number(process.env.DEV_GATEWAY_PORT ?? 54330);
/** Where `npm run dev` keeps its PostgreSQL cluster (and, inside it, the cluster's password). */
export const DEV_DATA_DIR = ".data/postgres";

/**
 * URL of the database `npm run dev` uses, with the password of its cluster in DEV_DATA_DIR;
 * undefined when that cluster has not been created yet.
 */
export function devDatabaseUrl(): string | undefined {
  const password = clusterPassword(DEV_DATA_DIR);
  return password === undefined ? undefined : localPostgresUrl(password, DEV_POSTGRES_PORT);
}
