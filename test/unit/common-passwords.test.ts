/**
 * The common-password list as a static asset: read through the real `STATIC` binding (miniflare
 * serves public/ from the assets-only Worker of vitest.config.ts, as static/wrangler.toml declares
 * it), once per isolate, and refused unless it is exactly
 * the vendored file. The failure paths use stand-in sources (a missing asset, an HTML page).
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import {
  type AssetSource,
  COMMON_PASSWORDS_ASSET,
  commonPasswordsFrom,
} from "../../src/services/common-passwords.ts";

/** The real binding, counting the requests it gets. */
function countingAssets(): AssetSource & { requests: string[] } {
  const requests: string[] = [];
  return {
    requests,
    fetch(url) {
      requests.push(new URL(url).pathname);
      return env.STATIC.fetch(url);
    },
  };
}

describe("common-password list from the static assets", () => {
  it("is the vendored list of 17,950 passwords, read once however many checks run at once", async () => {
    const assets = countingAssets();
    const load = commonPasswordsFrom(assets);
    const checks = await Promise.all([load(), load(), load()]);
    expect(checks[0]?.size()).toBe(17_950);
    expect(checks[0]?.isCommon("baseball")).toBe(true);
    expect(checks[0]?.isCommon("violet-otter-grammar-87-kiln")).toBe(false);
    await load();
    expect(assets.requests).toEqual([COMMON_PASSWORDS_ASSET]);
  });

  it("fails closed when the asset is missing, and reads it again on the next check", async () => {
    const real = countingAssets();
    let calls = 0;
    const load = commonPasswordsFrom({
      fetch: (url) =>
        ++calls === 1 ? Promise.resolve(new Response("Not Found", { status: 404 })) : real.fetch(url),
    });
    await expect(load()).rejects.toThrow("common-password list: the assets answered 404");
    expect((await load()).isCommon("password123")).toBe(true);
    expect(calls).toBe(2);
  });

  it("refuses anything but the exact list (an HTML fallback page, a truncated list)", async () => {
    const list = await (await env.STATIC.fetch(`https://assets.invalid${COMMON_PASSWORDS_ASSET}`)).text();
    for (const body of ["<!doctype html><title>Docs</title>", list.slice(0, list.length / 2)]) {
      const load = commonPasswordsFrom({ fetch: async () => new Response(body, { status: 200 }) });
      await expect(load()).rejects.toThrow(/common-password list: unexpected SHA-256 [0-9a-f]{64}/);
    }
  });
});
