/**
 * Errors are thrown as `ApiError` with a stable machine `code`; only the app's `onError`
 * (see `problem.ts`) turns them into RFC 9457 problem responses.
 */
import type { ContentfulStatusCode } from "hono/utils/http-status";

export interface FieldError {
  /** Dotted path of the offending field, e.g. `password` or `items.0.name`; empty for the whole body. */
  path: string;
  message: string;
}

export interface ApiErrorOptions {
  detail?: string;
  errors?: FieldError[];
  headers?: Record<string, string>;
  /** RFC 9457 extension members (e.g. `balance`, `price`); never overrides the standard members. */
  extensions?: Record<string, unknown>;
  cause?: unknown;
}

/** Titles per status, used when an error does not bring its own. */
export const STATUS_TITLES: Record<number, string> = {
  400: "Bad Request",
  401: "Unauthorized",
  402: "Payment Required",
  403: "Forbidden",
  404: "Not Found",
  405: "Method Not Allowed",
  409: "Conflict",
  413: "Content Too Large",
  415: "Unsupported Media Type",
  422: "Unprocessable Content",
  429: "Too Many Requests",
  500: "Internal Server Error",
  502: "Bad Gateway",
  503: "Service Unavailable",
};

/**
 * An error with an HTTP status and a stable snake_case `code` that clients can branch on.
 *
 * @example
 * throw new ApiError(409, "username_taken", { detail: "That username or e-mail is already registered." });
 */
export class ApiError extends Error {
  readonly status: ContentfulStatusCode;
  readonly code: string;
  readonly detail: string;
  readonly errors: FieldError[] | undefined;
  readonly headers: Record<string, string>;
  readonly extensions: Record<string, unknown>;

  constructor(status: ContentfulStatusCode, code: string, options: ApiErrorOptions = {}) {
    super(options.detail ?? code, { cause: options.cause });
    this.name = "ApiError";
    this.status = status;
    this.code = code;
    this.detail = options.detail ?? STATUS_TITLES[status] ?? code;
    this.errors = options.errors;
    this.headers = options.headers ?? {};
    this.extensions = options.extensions ?? {};
  }
}

/** 401 with one generic message: never says which part of a credential was wrong. */
export const unauthorized = (detail = "Authentication is required or the credentials are invalid.") =>
  new ApiError(401, "unauthorized", { detail, headers: { "WWW-Authenticate": 'Bearer realm="api"' } });

export const forbidden = (detail = "You do not have permission to do this.") =>
  new ApiError(403, "forbidden", { detail });
