/**
 * The session gate: the one way a service refers to the caller in SQL.
 *
 * A verified access token only says who the caller *was* when it was signed. Whether the session is
 * still live, the account still active and the role still what the route needs is decided by the
 * database, in the same statement that does the route's work. Services never see the caller's user
 * id as a value: they get SQL that evaluates to the id only while the session passes the gate (and
 * to NULL otherwise), so a statement built from it cannot act for a revoked session, a deactivated
 * user or a demoted role, and forgetting the check is not possible by construction.
 *
 * When a gated statement finds nothing, the service throws `gate.denied(...)`; the app's error
 * handler then asks the database why (one query, on that error path only) and answers 401 (dead
 * session or inactive user) before 403 (role) before the service's own error.
 */
import { type SQL, sql } from "drizzle-orm";
import type { Db } from "../db/client.ts";
import type { UserRole } from "../db/schema/users.ts";
import { type ApiError, forbidden, unauthorized } from "../lib/errors.ts";

/** What a verified access token claims (signature, issuer, audience and expiry already checked). */
export interface TokenClaims {
  userId: string;
  sessionId: string;
  tokenId: string;
}

/** The caller as the database sees it now. */
export interface Caller {
  userId: string;
  sessionId: string;
  role: UserRole;
}

/**
 * Thrown by a service when a gated statement found nothing. The app's error handler resolves it:
 * 401/403 when the gate is the reason, else `otherwise` (e.g. a 404).
 */
export class GateDenied extends Error {
  override name = "GateDenied";
  constructor(readonly otherwise: ApiError | undefined) {
    super("session gate denied");
  }
}

export class SessionGate {
  #checked = false;

  /**
   * @param token the verified claims; `roles` the roles the route admits (undefined: any role).
   */
  constructor(
    private readonly token: TokenClaims,
    readonly roles?: readonly UserRole[],
  ) {}

  /** The token's session id, for marking "this device" in lists; never use it to authorize. */
  get tokenSessionId(): string {
    return this.token.sessionId;
  }

  /** The token's subject, for rate-limit keys and log lines only; never use it in SQL. */
  get tokenUserId(): string {
    return this.token.userId;
  }

  private live(column: SQL, withRoles = true): SQL {
    const roleCheck =
      withRoles && this.roles
        ? sql` and u.role in (${sql.join(
            this.roles.map((r) => sql`${r}`),
            sql`, `,
          )})`
        : sql``;
    return sql`(select ${column} from sessions s join users u on u.id = s.user_id where s.id = ${this.token.sessionId} and s.user_id = ${this.token.userId} and s.revoked_at is null and s.expires_at > now() and u.is_active${roleCheck})`;
  }

  /** SQL scalar: the caller's user id while the gate passes, else NULL. */
  get userId(): SQL {
    return this.live(sql`u.id`);
  }

  /** SQL scalar: the caller's session id while the gate passes, else NULL. */
  get sessionId(): SQL {
    return this.live(sql`s.id`);
  }

  /** SQL boolean: the gate passes (for statements that do not otherwise name the caller). */
  get passes(): SQL {
    return sql`exists ${this.live(sql`1`)}`;
  }

  /** Whether the gate has been checked on its own (by `check`), e.g. on an error path. */
  get checked(): boolean {
    return this.#checked;
  }

  /**
   * Checks the gate in a query of its own: 401 for a dead session or an inactive user, 403 for a
   * role the route does not admit. Used by routes that do not read the database themselves, and on
   * error paths (validation, `denied`) so the order is always 401, then 403, then anything else.
   */
  async check(db: Db): Promise<Caller> {
    const result = await db.execute<{ user_id: string; session_id: string; role: UserRole }>(
      sql`select u.id as user_id, s.id as session_id, u.role from sessions s join users u on u.id = s.user_id
          where s.id = ${this.token.sessionId} and s.user_id = ${this.token.userId}
            and s.revoked_at is null and s.expires_at > now() and u.is_active`,
    );
    this.#checked = true;
    const row = result.rows[0];
    if (!row) throw unauthorized();
    if (this.roles && !this.roles.includes(row.role)) throw forbidden();
    return { userId: row.user_id, sessionId: row.session_id, role: row.role };
  }

  /**
   * For a service whose gated statement found nothing: 401/403 when the gate is why, else
   * `otherwise` (default 401, for statements that can only miss because of the gate).
   */
  denied(otherwise?: ApiError): GateDenied {
    return new GateDenied(otherwise);
  }
}

/**
 * Resolves an error thrown while `gate` was unchecked: a client error (validation, malformed JSON,
 * a conflict, `denied`) must not tell a caller whose session is dead anything but 401.
 */
export async function resolveGateError(
  err: unknown,
  gate: SessionGate | undefined,
  db: Db,
): Promise<unknown> {
  if (!gate) return err instanceof GateDenied ? (err.otherwise ?? unauthorized()) : err;
  const status = (err as { status?: number }).status;
  const isClientError =
    err instanceof GateDenied ||
    (typeof status === "number" && status >= 400 && status < 500 && ![401, 403, 429].includes(status));
  if (!isClientError) return err;
  if (!gate.checked) {
    try {
      await gate.check(db);
    } catch (gateError) {
      return gateError;
    }
  }
  return err instanceof GateDenied ? (err.otherwise ?? unauthorized()) : err;
}
