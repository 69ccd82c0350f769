/**
 * The list convention every route follows: `?skip=&limit=` in, `{items, total, skip, limit}` out.
 * Out-of-range values are 422, never clamped.
 */
import { z } from "@hono/zod-openapi";

/**
 * A query-string integer: only plain decimal digits are read as a number. Anything else ("", "0x10",
 * " 5", "1e3") stays text and fails the number schema with a 422, where `z.coerce` would have read
 * "" as 0 and "0x10" as 16.
 */
const decimal = (v: unknown) => (typeof v === "string" && /^-?\d{1,16}$/.test(v) ? Number(v) : v);

export const PaginationQuery = z.object({
  skip: z
    .preprocess(decimal, z.number().int().min(0).default(0))
    .openapi({ param: { name: "skip", in: "query" }, example: 0, description: "Items to skip (>= 0)." }),
  limit: z
    .preprocess(decimal, z.number().int().min(1).max(100).default(10))
    .openapi({ param: { name: "limit", in: "query" }, example: 10, description: "Page size, 1..100." }),
});

/** `{items, total, skip, limit}` of `item`, registered as the component `name`. */
export function pageOf<T extends z.ZodType>(item: T, name: string) {
  return z
    .object({
      items: z.array(item),
      total: z.number().int().min(0).openapi({ description: "Items matching the filters, over all pages." }),
      skip: z.number().int().min(0),
      limit: z.number().int().min(1).max(100),
    })
    .strict()
    .openapi(name);
}

/** `'true'`/`'false'` in a query string (anything else is 422). */
export const QueryBoolean = z.enum(["true", "false"]).transform((v) => v === "true");

/** Escapes LIKE wildcards so a search term matches literally. */
export const likePattern = (term: string) => `%${term.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
