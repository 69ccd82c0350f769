import type { Context } from "hono";

export interface ClientInfo {
  /** From CF-Connecting-IP only (Cloudflare sets it; X-Forwarded-For is never trusted); null locally. */
  ip: string | null;
  userAgent: string | null;
  country: string | null;
  city: string | null;
}

/** Who is calling, as Cloudflare tells it. */
export function clientInfo(c: Context): ClientInfo {
  const cf = (c.req.raw as Request & { cf?: { country?: string; city?: string } }).cf;
  return {
    ip: c.req.header("CF-Connecting-IP") ?? null,
    userAgent: c.req.header("User-Agent")?.slice(0, 512) ?? null,
    country: typeof cf?.country === "string" ? cf.country : null,
    city: typeof cf?.city === "string" ? cf.city : null,
  };
}
