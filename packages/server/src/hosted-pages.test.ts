// The hosted pages' server side, without a browser: headers and CSP, redirect_url checking,
// escaping of the configuration block, the bundle's caching, base paths and a missing build.
import { Hono } from "hono";
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { HOSTED_PAGE_CSP, loadHostedPages, serveHostedPages, type HostedPagesBuild } from "./hosted-pages.js";

const build: HostedPagesBuild = {
  template: `<!doctype html><html><head><title>Gatehouse</title><!--gatehouse-config--><script type="module" src="./_gatehouse/index-abc.js"></script></head><body></body></html>`,
  assets: new Map([
    ["index-abc.js", Buffer.from("console.log(1)")],
    ["index-abc.css", Buffer.from("body{}")],
  ]),
};
const silent = pino({ level: "silent" });

async function app(
  options: {
    baseURL?: string;
    allowedOrigins?: string[];
    appName?: string | null;
    features?: { passkeys: boolean; sms: boolean };
  } = {},
) {
  const hono = new Hono();
  await serveHostedPages(
    hono,
    {
      baseURL: options.baseURL ?? "https://auth.example.com",
      allowedOrigins: options.allowedOrigins ?? ["https://app.example.com"],
      appName: options.appName ?? null,
      features: options.features ?? { passkeys: true, sms: false },
    },
    silent,
    build,
  );
  return hono;
}

function configOf(html: string): Record<string, unknown> {
  const json = /<script type="application\/json" id="gatehouse-config">(.*?)<\/script>/.exec(html)?.[1];
  if (!json) throw new Error(`no configuration block in ${html}`);
  return JSON.parse(json) as Record<string, unknown>;
}

describe("hosted pages (server side)", () => {
  it("serves every page with the strict CSP and no-store, no-referrer, no framing", async () => {
    const hono = await app();
    for (const page of ["sign-in", "sign-up", "account", "reset-password", "verify-email"]) {
      const response = await hono.request(`https://auth.example.com/${page}`);
      expect(response.status).toBe(200);
      expect(response.headers.get("content-security-policy")).toBe(HOSTED_PAGE_CSP);
      expect(response.headers.get("cache-control")).toBe("no-store");
      expect(response.headers.get("referrer-policy")).toBe("no-referrer");
      expect(response.headers.get("x-frame-options")).toBe("DENY");
      expect(configOf(await response.text())).toMatchObject({ page, redirectURL: null });
    }
    expect(HOSTED_PAGE_CSP).toContain("script-src 'self'");
    expect(HOSTED_PAGE_CSP).not.toContain("unsafe");
  });

  it("honours redirect_url only for the base URL's origin and the allowed origins", async () => {
    const hono = await app();
    const redirectOf = async (value: string) =>
      configOf(
        await (await hono.request(`https://auth.example.com/sign-in?redirect_url=${encodeURIComponent(value)}`)).text(),
      ).redirectURL;
    expect(await redirectOf("https://app.example.com/dashboard?tab=1")).toBe("https://app.example.com/dashboard?tab=1");
    expect(await redirectOf("/account")).toBe("https://auth.example.com/account");
    for (const refused of [
      "https://evil.example/",
      "//evil.example/",
      "/\\evil.example",
      "https:evil.example",
      "https://app.example.com@evil.example/",
      "javascript:alert(1)",
      "data:text/html,x",
      "https://app.example.com.evil.example/",
      "http://app.example.com/",
    ]) {
      expect(await redirectOf(refused), refused).toBeNull();
    }
  });

  it("writes the app's name into the title and the data block without letting it become markup", async () => {
    const hono = await app({ appName: `</script><script>alert(1)</script>` });
    const html = await (await hono.request("https://auth.example.com/sign-in")).text();
    expect(html).toContain("<title>Sign in · &#60;/script&#62;&#60;script&#62;alert(1)&#60;/script&#62;</title>");
    expect(html).not.toContain("<script>alert(1)");
    expect(configOf(html).appName).toBe(`</script><script>alert(1)</script>`);
  });

  it("serves the bundle immutable, and nothing else from the assets directory", async () => {
    const hono = await app();
    const script = await hono.request("https://auth.example.com/_gatehouse/index-abc.js");
    expect(script.status).toBe(200);
    expect(script.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
    expect(script.headers.get("cache-control")).toContain("immutable");
    expect(script.headers.get("x-content-type-options")).toBe("nosniff");
    expect((await hono.request("https://auth.example.com/_gatehouse/missing.js")).status).toBe(404);
    expect((await hono.request("https://auth.example.com/_gatehouse/..%2Findex.html")).status).toBe(404);
  });

  it("follows the base URL's path", async () => {
    const hono = await app({ baseURL: "https://example.com/auth" });
    const response = await hono.request("https://example.com/auth/sign-in");
    expect(configOf(await response.text()).paths).toMatchObject({ "sign-in": "/auth/sign-in", api: "/auth/" });
    expect((await hono.request("https://example.com/sign-in")).status).toBe(404);
  });

  it("tells the pages what the engine offers, so they show only what works", async () => {
    for (const features of [
      { passkeys: true, sms: false },
      { passkeys: false, sms: true },
    ]) {
      const page = await (await app({ features })).request("https://auth.example.com/sign-in");
      expect(configOf(await page.text()).features).toEqual(features);
    }
  });

  it("registers nothing, with a warning, when the pages were never built", async () => {
    const lines: string[] = [];
    const logger = pino({ level: "warn" }, { write: (line: string) => void lines.push(line) });
    const hono = new Hono();
    const served = await serveHostedPages(
      hono,
      { baseURL: "http://localhost", allowedOrigins: [], appName: null, features: { passkeys: false, sms: false } },
      logger,
      null,
    );
    expect(served).toBe(false);
    expect(lines.join("")).toContain("npm run build");
    expect(await loadHostedPages("/nonexistent/gatehouse-pages")).toBeNull();
  });

  it("the build that npm run build made is there and links its bundle relatively", async () => {
    const real = await loadHostedPages();
    expect(real, "run npm run build first").not.toBeNull();
    expect(real!.template).toContain("<!--gatehouse-config-->");
    expect(real!.template).toMatch(/src="\.\/_gatehouse\/[\w-]+\.js"/);
    expect([...real!.assets.keys()].some((name) => name.endsWith(".css"))).toBe(true);
  });
});
