/**
 * The docs pages are served by the Worker itself: the HTML, and every file it references from this
 * origin's static files (public/, through the STATIC binding to the assets-only Worker),
 * under a Content-Security-Policy that allows this origin only. The browser's view of the same pages
 * (Swagger UI's Authorize and Try it out, ReDoc's operations) is `npm run e2e` (test/e2e/docs.e2e.ts).
 */
import { describe, expect, it } from "vitest";
import { api } from "../../helpers/harness.ts";

const PAGES = [
  ["/api/docs", "SwaggerUIBundle"],
  ["/api/redoc", "Redoc"],
] as const;

/** Every URL the page loads: script src, stylesheet and icon href. */
function referencedUrls(html: string): string[] {
  return [...html.matchAll(/<(?:script|link)\b[^>]*\b(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
}

/** The policy as directive -> sources. */
function parsePolicy(header: string | null): Map<string, string[]> {
  const directives = new Map<string, string[]>();
  for (const part of (header ?? "").split(";")) {
    const [name, ...sources] = part.trim().split(/\s+/);
    if (name) directives.set(name, sources);
  }
  return directives;
}

/** Allows this origin only: no host, scheme-wide source, wildcard, inline script or eval anywhere. */
function expectThisOriginOnly(header: string | null) {
  const policy = parsePolicy(header);
  expect(policy.get("default-src")).toEqual(["'self'"]);
  expect(policy.get("script-src")).toEqual(["'self'"]);
  expect(policy.get("connect-src")).toEqual(["'self'"]);
  expect(policy.get("object-src")).toEqual(["'none'"]);
  expect(policy.get("frame-ancestors")).toEqual(["'none'"]);
  for (const [directive, sources] of policy) {
    for (const source of sources) {
      // data: images (the bundles' icons) and blob: workers (ReDoc's search) are made in the page;
      // nonces and hashes allow particular <style> elements (ReDoc's), never inline script.
      const allowed =
        source === "'self'" ||
        source === "'none'" ||
        (directive === "style-src" && /^'(nonce|sha256)-[A-Za-z0-9+/=]+'$/.test(source)) ||
        (directive === "img-src" && source === "data:") ||
        (directive === "worker-src" && source === "blob:");
      expect(allowed, `${directive} ${source}`).toBe(true);
    }
  }
}

describe("docs pages", () => {
  it.each(PAGES)("%s is HTML under a this-origin-only policy and starts %s", async (path, global) => {
    const res = await api("GET", path);
    expect(res.status, res.dump).toBe(200);
    expect(res.headers.get("Content-Type")).toMatch(/^text\/html/);
    expectThisOriginOnly(res.headers.get("Content-Security-Policy"));
    expect(res.headers.get("Cache-Control")).toBe("no-cache");
    // No inline script: every <script> has a same-origin src; the start-up code is a file.
    const scripts = [...res.text.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)];
    expect(scripts.length).toBeGreaterThanOrEqual(2);
    for (const [, attributes, body] of scripts) {
      expect(attributes).toMatch(/\bsrc="\/api\//);
      expect(body!.trim()).toBe("");
    }
    // The start-up file calls the vendor bundle's global.
    const init = await api("GET", `${path}/init.js`);
    expect(init.status, init.dump).toBe(200);
    expect(init.text).toContain(global);
  });

  it.each(PAGES)("%s names no other host, and every file it loads is served here", async (path) => {
    const page = await api("GET", path);
    expect(page.text).not.toMatch(/https?:|\/\/[a-z]/i);
    const urls = referencedUrls(page.text);
    expect(urls.length).toBeGreaterThanOrEqual(3);
    for (const url of urls) {
      expect(url, url).toMatch(/^\/api\/(docs|redoc)\//);
      const res = await api("GET", url);
      expect(res.status, `${url} -> ${res.status}`).toBe(200);
      const type = res.headers.get("Content-Type") ?? "";
      if (url.endsWith(".js")) expect(type, url).toMatch(/^(text|application)\/javascript/);
      else if (url.endsWith(".css")) expect(type, url).toMatch(/^text\/css/);
      else if (url.endsWith(".png")) expect(type, url).toBe("image/png");
      else throw new Error(`unexpected file type: ${url}`);
      expect(res.bytes.byteLength, url).toBeGreaterThan(0);
      expectThisOriginOnly(res.headers.get("Content-Security-Policy"));
      expect(res.headers.get("Cache-Control"), url).toBe("no-cache");
      expect(res.headers.get("X-Content-Type-Options"), url).toBe("nosniff");
    }
  });

  it("the vendor bundles are the installed Swagger UI and ReDoc", async () => {
    const swagger = await api("GET", "/api/docs/vendor/swagger-ui-bundle.js");
    expect(swagger.text).toContain("SwaggerUIBundle");
    const redoc = await api("GET", "/api/redoc/vendor/redoc.standalone.js");
    expect(redoc.text).toContain("Redoc");
    expect(redoc.text.length).toBeGreaterThan(500_000);
    // Copied with its one edit: the sidebar's logo no longer comes from Redocly's CDN.
    expect(redoc.text).not.toContain("cdn.redoc.ly");
  });

  it("ReDoc's style nonce is fresh per response and the one its start-up script carries", async () => {
    const nonces = [];
    for (let i = 0; i < 2; i++) {
      const res = await api("GET", "/api/redoc");
      const inPolicy = parsePolicy(res.headers.get("Content-Security-Policy"))
        .get("style-src")
        ?.find((s) => s.startsWith("'nonce-"));
      const inPage = res.text.match(/<script src="\/api\/redoc\/init\.js" nonce="([^"]+)"><\/script>/)?.[1];
      expect(inPolicy, res.headers.get("Content-Security-Policy") ?? "").toBe(`'nonce-${inPage}'`);
      expect(inPage!.length).toBeGreaterThanOrEqual(22);
      nonces.push(inPage);
    }
    expect(nonces[0]).not.toBe(nonces[1]);
    // Swagger UI needs none: its styles are one stylesheet.
    const swagger = await api("GET", "/api/docs");
    expect(parsePolicy(swagger.headers.get("Content-Security-Policy")).get("style-src")).toEqual(["'self'"]);
  });

  it("a file is revalidated by its ETag (304), so a cached copy never outlives an upgrade", async () => {
    const first = await api("GET", "/api/docs/vendor/swagger-ui.css");
    const etag = first.headers.get("ETag");
    expect(etag, first.dump).toBeTruthy();
    const again = await api("GET", "/api/docs/vendor/swagger-ui.css", {
      headers: { "If-None-Match": etag! },
    });
    expect(again.status).toBe(304);
    expect(again.bytes.byteLength).toBe(0);
  });

  it.each(["/api/docs/vendor/missing.js", "/api/redoc/nothing-here.css", "/api/docs/"])(
    "an unknown docs file %s is a 404 problem",
    async (path) => {
      const res = await api("GET", path);
      expect(res.status, res.dump).toBe(404);
      expect(res.headers.get("Content-Type")).toBe("application/problem+json");
      expect(res.body.code).toBe("not_found");
    },
  );

  it.each([
    ["/docs", "/api/docs"],
    ["/redoc", "/api/redoc"],
  ])("%s redirects to %s", async (path, target) => {
    const res = await api("GET", path);
    expect(res.status, res.dump).toBe(301);
    expect(res.headers.get("Location")).toBe(target);
  });
});
