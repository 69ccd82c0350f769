/**
 * What keeps the local gateway to its one job: serving the Worker and the Node tools on this machine,
 * against the one PostgreSQL it was started for. Without these checks any web page open in a browser
 * could reach it (a fetch or WebSocket to 127.0.0.1 needs no CORS permission to be *sent*), and it
 * would tunnel to any host:port it was asked for.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import type { IncomingHttpHeaders } from "node:http";

/** A host:port with the host lower-cased and without IPv6 brackets, comparable as a string. */
export type PostgresAddress = string & { readonly __brand: "PostgresAddress" };

/** `host:port` (IPv6 in brackets or not) as a PostgresAddress; undefined when it is not one. */
export function parsePostgresAddress(address: string | null | undefined): PostgresAddress | undefined {
  if (!address) return undefined;
  const match = /^\[?([^\]]*?)\]?:(\d{1,5})$/.exec(address);
  if (!match?.[1] || !match[2]) return undefined;
  const port = Number(match[2]);
  if (!(port > 0 && port < 65536)) return undefined;
  return `${match[1].toLowerCase()}:${port}` as PostgresAddress;
}

/** Splits a PostgresAddress back into what `net.connect` takes. */
export function hostAndPort(address: PostgresAddress): { host: string; port: number } {
  const at = address.lastIndexOf(":");
  return { host: address.slice(0, at), port: Number(address.slice(at + 1)) };
}

/**
 * The address a postgres:// connection string makes `pg` connect to, or a reason to refuse it.
 * `pg` lets `host`, `hostaddr` and `port` query parameters override the URL's own host and port, so
 * a string carrying them is refused outright rather than parsed twice.
 */
export function connectionStringAddress(connectionString: string): PostgresAddress | { refused: string } {
  const scheme = /^postgres(ql)?:/i.exec(connectionString);
  if (!scheme) return { refused: "Neon-Connection-String is not a postgres:// URL" };
  let url: URL;
  try {
    url = new URL(`http:${connectionString.slice(scheme[0].length)}`);
  } catch {
    return { refused: "Neon-Connection-String is not a postgres:// URL" };
  }
  for (const name of ["host", "hostaddr", "port"]) {
    if (url.searchParams.has(name)) return { refused: `Neon-Connection-String must not set "${name}"` };
  }
  const address = parsePostgresAddress(`${url.hostname}:${url.port || "5432"}`);
  return address ?? { refused: "Neon-Connection-String has no usable host:port" };
}

/**
 * The Worker (workerd) and the Node clients never send `Origin`; a browser always does on a
 * WebSocket handshake and on cross-site requests. Any Origin at all therefore means "a web page".
 */
export function hasOrigin(headers: IncomingHttpHeaders): boolean {
  return headers.origin !== undefined;
}

/**
 * True when the Host header names this machine's loopback (127.0.0.1, localhost or [::1], any port).
 * A DNS-rebinding page reaches 127.0.0.1 under its own host name, which this refuses even where a
 * browser would leave Origin out (same-origin GETs).
 */
export function isLoopbackHost(hostHeader: string | undefined): boolean {
  if (!hostHeader) return false;
  const host = /^(\[[^\]]*\]|[^:]*)(:\d+)?$/.exec(hostHeader.toLowerCase())?.[1];
  return host === "127.0.0.1" || host === "localhost" || host === "[::1]";
}

/** Constant-time comparison of `Authorization: Bearer <token>` against the expected token. */
export function bearerMatches(authorization: string | undefined, token: string): boolean {
  const presented = /^Bearer (.+)$/i.exec(authorization ?? "")?.[1] ?? "";
  // Hashing first makes the lengths equal, as timingSafeEqual requires.
  const digest = (s: string) => createHash("sha256").update(s).digest();
  return timingSafeEqual(digest(presented), digest(token)) && presented.length > 0;
}

const REASONS: Record<number, string> = {
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  421: "Misdirected Request",
};

/** Answers a WebSocket upgrade request with a plain HTTP error and closes the socket. */
export function refuseUpgrade(socket: { end(data: string): void }, status: number, message: string): void {
  const body = JSON.stringify({ message });
  socket.end(
    `HTTP/1.1 ${status} ${REASONS[status] ?? "Error"}\r\nConnection: close\r\n` +
      `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}
