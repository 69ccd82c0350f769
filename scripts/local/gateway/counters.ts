/**
 * Round-trip counters, so tests can assert how many database round trips one request made.
 *
 * Requests are counted per *connection identity*: target host:port, user, database and the
 * `application_name` the caller chose. Both transports can see that identity: the HTTP protocol
 * carries the whole connection string in a header, and the WebSocket tunnel's first client message
 * is the PostgreSQL StartupMessage (plaintext: the Neon driver forces Postgres-level SSL off), which
 * carries user, database and application_name. A test that appends a unique
 * `?application_name=rt_<uuid>` to its connection string thus gets counts no other test touches.
 */

/** The Neon driver appends this application_name itself when the caller set none; it is not the caller's. */
const DRIVER_DEFAULT_APP_NAME = /^pkg:npm\/(%40|@)neondatabase\/serverless@/;

export interface ConnectionIdentity {
  address: string;
  user: string;
  database: string;
  applicationName: string;
}

export function identityKey(id: ConnectionIdentity): string {
  const app = DRIVER_DEFAULT_APP_NAME.test(id.applicationName) ? "" : id.applicationName;
  return JSON.stringify([id.address, id.user, id.database, app]);
}

/** Identity of a postgres:// or postgresql:// connection string; undefined when it does not parse. */
export function identityFromConnectionString(connectionString: string): ConnectionIdentity | undefined {
  let url: URL;
  try {
    // Swap the scheme for http: so WHATWG URL parsing fills in host and port like pg does.
    const scheme = /^postgres(ql)?:/i.exec(connectionString);
    if (!scheme) return undefined;
    url = new URL(`http:${connectionString.slice(scheme[0].length)}`);
  } catch {
    return undefined;
  }
  const user = decodeURIComponent(url.username);
  return {
    address: `${url.hostname}:${url.port || "5432"}`,
    user,
    database: decodeURIComponent(url.pathname.slice(1)) || user,
    applicationName: url.searchParams.get("application_name") ?? "",
  };
}

export class Counters {
  private readonly sql = new Map<string, number>();
  private readonly ws = new Map<string, number>();

  countSqlRequest(id: ConnectionIdentity): void {
    const key = identityKey(id);
    this.sql.set(key, (this.sql.get(key) ?? 0) + 1);
  }

  countWsConnection(id: ConnectionIdentity): void {
    const key = identityKey(id);
    this.ws.set(key, (this.ws.get(key) ?? 0) + 1);
  }

  /** Counts for one connection string (0s when never seen or when it does not parse). */
  forConnectionString(connectionString: string): { sql_requests: number; ws_connections: number } {
    const id = identityFromConnectionString(connectionString);
    if (!id) return { sql_requests: 0, ws_connections: 0 };
    const key = identityKey(id);
    return { sql_requests: this.sql.get(key) ?? 0, ws_connections: this.ws.get(key) ?? 0 };
  }
}
