import { inject } from "vitest";
import { envWith, type TestEnv } from "./harness.ts";

/** True when a real Redis answered at start-up (always in CI, where REQUIRE_REDIS=1 enforces it). */
export const redisAvailable = () => inject("redisUrl") !== "";

/**
 * An env whose rate limiter is Upstash over a gateway's REST emulation of the real Redis: the main
 * gateway, or with `chaos` the one whose Redis tests may break (see chaosRedis).
 */
export const upstashEnv = (
  overrides: Record<string, unknown> = {},
  options: { chaos?: boolean } = {},
): TestEnv =>
  envWith({
    UPSTASH_REDIS_REST_URL: `${inject(options.chaos ? "chaosGatewayUrl" : "gatewayUrl")}/upstash`,
    UPSTASH_REDIS_REST_TOKEN: inject("upstashToken"),
    ...overrides,
  });

/**
 * Repoints the chaos gateway's Redis (a dead port simulates Redis dying) and/or delays its answers;
 * `chaosRedis(inject("redisUrl"))` restores it.
 */
export async function chaosRedis(url: string, delayMs = 0): Promise<void> {
  const res = await fetch(`${inject("chaosGatewayUrl")}/__gateway/redis`, {
    method: "POST",
    headers: {
      "Content-Type": "application/json",
      Authorization: `Bearer ${inject("gatewayControlToken")}`,
    },
    body: JSON.stringify({ url, delay_ms: delayMs }),
  });
  if (!res.ok) throw new Error(`gateway refused the redis repoint: ${res.status} ${await res.text()}`);
}

/** A random documentation-range IPv4 address, so tests never share rate-limit keys (even across runs). */
export const randomIp = () =>
  `198.51.${Math.floor(Math.random() * 256)}.${Math.floor(Math.random() * 254) + 1}`;

/**
 * Sliding windows (Upstash's and ours) weigh the previous window in, so a burst that straddles a
 * window edge may see one request more than `limit` pass. Tests that count exactly wait, when the
 * current window ends within `marginMs`, until the next one has begun.
 */
export async function awayFromWindowEdge(windowSeconds: number, marginMs = 5000): Promise<void> {
  const windowMs = windowSeconds * 1000;
  const left = windowMs - (Date.now() % windowMs);
  if (left < marginMs) await new Promise((resolve) => setTimeout(resolve, left + 50));
}
