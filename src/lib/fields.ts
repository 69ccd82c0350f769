/**
 * Field shapes many schemas share, with the bounds the OpenAPI document states for them: integer
 * formats and ranges, UUID and timestamp lengths. Generated clients and linters read these bounds, and
 * the contract check holds every response to them.
 */
import { z } from "@hono/zod-openapi";
import { CLIENT_INFO_LIMITS } from "./client-info.ts";

const INT32_MAX = 2_147_483_647;

/** An integer that fits a Postgres `integer` (int32), within [min, max]. */
export const int32 = (min = -INT32_MAX - 1, max = INT32_MAX) =>
  z.number().int().min(min).max(max).openapi({ format: "int32" });

/**
 * An integer from a Postgres `bigint` or a count, as a JSON number: int64, but never beyond 2^53 - 1
 * (zod's `int()` refuses anything a JavaScript number cannot hold exactly).
 */
export const int64 = (min = -Number.MAX_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER) =>
  z.number().int().min(min).max(max).openapi({ format: "int64" });

/** A UUID (always 36 characters). */
export const Uuid = z.uuid().max(36);

/** An instant as the API writes it, `Date.prototype.toISOString()` (24 characters; 27 for far years). */
export const Timestamp = z.iso.datetime().max(32);

/** A stored User-Agent header (cut to its limit when recorded). */
export const UserAgent = z.string().max(CLIENT_INFO_LIMITS.userAgent).nullable();

/** The client's IP as Cloudflare reported it (CF-Connecting-IP); null when there was none (locally). */
export const ClientIp = z.string().max(CLIENT_INFO_LIMITS.ip).nullable();
