import { inject } from "vitest";
import { envWith, type TestEnv } from "./harness.ts";

/** True when a real Redis answered at start-up (always in CI, where REQUIRE_REDIS=1 enforces it). */
export const redisAvailable = () => inject("redisUrl") !== "";

/** An env whose rate limiter is Upstash over the gateway's REST emulation of the real Redis. */
export const upstashEnv = (overrides: Record<string, unknown> = {}): TestEnv =>
  envWith({
    UPSTASH_REDIS_REST_URL: `${inject("gatewayUrl")}/upstash`,
    UPSTASH_REDIS_REST_TOKEN: inject("upstashToken"),
    ...overrides,
  });

/** Repoints the gateway's Redis (simulates Redis dying: a dead port), or restores it. */
export async function pointGatewayRedisAt(url: string): Promise<void> {
  const res = await fetch(`${inject("gatewayUrl")}/__gateway/redis`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ url }),
  });
  if (!res.ok) throw new Error(`gateway refused the redis repoint: ${res.status} ${await res.text()}`);
}

/** A random documentation-range IPv4 address, so tests never share rate-limit keys (even across runs). */
export const randomIp = () =>
  `198.51.${Math.floor(Math.random() * 256)}.${Math.floor(Math.random() * 254) + 1}`;
