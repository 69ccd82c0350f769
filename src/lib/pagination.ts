/**
 * The list convention every route follows: `?skip=&limit=` in, `{items, total, skip, limit}` out.
 * Out-of-range values are 422, never clamped.
 */
import { z } from "@hono/zod-openapi";
import { int32, int64 } from "./fields.ts";

/** The largest page. */
export const MAX_PAGE_SIZE = 100;

/**
 * A query-string integer: only plain decimal digits are read as a number. Anything else ("", "0x10",
 * " 5", "1e3") stays text and fails the number schema with a 422, where `z.coerce` would have read
 * "" as 0 and "0x10" as 16.
 */
const decimal = (v: unknown) => (typeof v === "string" && /^-?\d{1,16}$/.test(v) ? Number(v) : v);

export const PaginationQuery = z.object({
  skip: z.preprocess(decimal, z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).default(0)).openapi({
    param: { name: "skip", in: "query" },
    format: "int64",
    example: 0,
    description: "Items to skip (>= 0).",
  }),
  limit: z.preprocess(decimal, z.number().int().min(1).max(MAX_PAGE_SIZE).default(10)).openapi({
    param: { name: "limit", in: "query" },
    format: "int32",
    example: 10,
    description: `Page size, 1..${MAX_PAGE_SIZE}.`,
  }),
});

/**
 * `{items, total, skip, limit}` of `item`, registered as the component `name`; `itemExample` (one
 * item) makes the page's example.
 */
export function pageOf<T extends z.ZodType>(item: T, name: string, itemExample: z.input<T>) {
  return z
    .object({
      items: z.array(item).max(MAX_PAGE_SIZE),
      total: int64(0).openapi({ description: "Items matching the filters, over all pages." }),
      skip: int64(0),
      limit: int32(1, MAX_PAGE_SIZE),
    })
    .strict()
    .openapi(name, { example: { items: [itemExample], total: 1, skip: 0, limit: 10 } });
}

/** `'true'`/`'false'` in a query string (anything else is 422). */
export const QueryBoolean = z.enum(["true", "false"]).transform((v) => v === "true");

/** Escapes LIKE wildcards so a search term matches literally. */
export const likePattern = (term: string) => `%${term.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
