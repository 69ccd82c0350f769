import type { Context } from "hono";

/** Bounds of what is stored about a client (and shown in sessions and events). */
export const CLIENT_INFO_LIMITS = {
  userAgent: 512,
  /** The longest textual IPv6 address (INET6_ADDRSTRLEN - 1). */
  ip: 45,
  city: 128,
} as const;

/** Cloudflare's `cf.country`: an ISO 3166-1 alpha-2 code (`XX` unknown, `T1` Tor). */
export const COUNTRY_PATTERN = /^[A-Z0-9]{2}$/;

export interface ClientInfo {
  /** From CF-Connecting-IP only (Cloudflare sets it; X-Forwarded-For is never trusted); null locally. */
  ip: string | null;
  userAgent: string | null;
  country: string | null;
  city: string | null;
}

/** Who is calling, as Cloudflare tells it (cut to CLIENT_INFO_LIMITS: locally, any client can set these). */
export function clientInfo(c: Context): ClientInfo {
  const cf = (c.req.raw as Request & { cf?: { country?: string; city?: string } }).cf;
  return {
    ip: c.req.header("CF-Connecting-IP")?.slice(0, CLIENT_INFO_LIMITS.ip) ?? null,
    userAgent: c.req.header("User-Agent")?.slice(0, CLIENT_INFO_LIMITS.userAgent) ?? null,
    country: typeof cf?.country === "string" && COUNTRY_PATTERN.test(cf.country) ? cf.country : null,
    city: typeof cf?.city === "string" ? cf.city.slice(0, CLIENT_INFO_LIMITS.city) : null,
  };
}
