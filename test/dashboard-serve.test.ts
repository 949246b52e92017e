/** serve.ts: how the dashboard's files are served (headers, paths, auth flag, not built). */
import { mkdtempSync, mkdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import Fastify from "fastify";
import { afterEach, describe, expect, it } from "vitest";
import { DASHBOARD_CSP, findDashboardBuild, registerDashboard, withAuthFlag } from "../plugins/sinks/sse/dashboard/serve.js";

const ROOT = resolve(import.meta.dirname, "..");
const HTML = `<!doctype html><html><head><meta name="livetap-auth" content="off" /><script type="module" crossorigin src="./assets/index-Ab12_x.js"></script></head><body></body></html>`;

function fakeBuild(): string {
  const dir = mkdtempSync(join(tmpdir(), "livetap-dashboard-"));
  mkdirSync(join(dir, "assets"));
  writeFileSync(join(dir, "index.html"), HTML);
  writeFileSync(join(dir, "assets", "index-Ab12_x.js"), "console.log(1)");
  writeFileSync(join(dir, "assets", "index-Cd34.css"), "body{}");
  writeFileSync(join(dir, "secret.txt"), "not an asset");
  return dir;
}

const apps: ReturnType<typeof Fastify>[] = [];
afterEach(async () => {
  for (const a of apps.splice(0)) await a.close();
});
async function app(opts: Parameters<typeof registerDashboard>[1]) {
  const a = Fastify();
  apps.push(a);
  registerDashboard(a, opts);
  await a.ready();
  return a;
}

describe("dashboard routes", () => {
  it("serves the page at / and /index.html: never cached stale, strict same-origin CSP", async () => {
    const a = await app({ authEnabled: false, root: fakeBuild() });
    for (const url of ["/", "/index.html"]) {
      const res = await a.inject({ url });
      expect(res.statusCode).toBe(200);
      expect(res.headers["content-type"]).toBe("text/html; charset=utf-8");
      expect(res.headers["cache-control"]).toBe("no-cache");
      expect(res.headers["content-security-policy"]).toBe(DASHBOARD_CSP);
      expect(res.headers["x-content-type-options"]).toBe("nosniff");
      expect(res.headers["referrer-policy"]).toBe("no-referrer");
      expect(res.body).toContain('<meta name="livetap-auth" content="off" />');
    }
    expect(DASHBOARD_CSP).toContain("default-src 'none'");
    expect(DASHBOARD_CSP).toContain("script-src 'self'");
    expect(DASHBOARD_CSP).not.toMatch(/unsafe|https?:|\*/);
  });

  it("tells the page when the sink has auth", async () => {
    const a = await app({ authEnabled: true, root: fakeBuild() });
    expect((await a.inject({ url: "/" })).body).toContain('<meta name="livetap-auth" content="on" />');
    expect(withAuthFlag('<meta name="livetap-auth" content="on">', false)).toBe('<meta name="livetap-auth" content="off">');
  });

  it("serves hashed assets as immutable, with their content type", async () => {
    const a = await app({ authEnabled: false, root: fakeBuild() });
    const js = await a.inject({ url: "/assets/index-Ab12_x.js" });
    expect(js.statusCode).toBe(200);
    expect(js.headers["content-type"]).toBe("text/javascript; charset=utf-8");
    expect(js.headers["cache-control"]).toBe("public, max-age=31536000, immutable");
    expect(js.body).toBe("console.log(1)");
    expect((await a.inject({ url: "/assets/index-Cd34.css" })).headers["content-type"]).toBe("text/css; charset=utf-8");
  });

  it("serves nothing outside assets/, and 404s unknown assets", async () => {
    const a = await app({ authEnabled: false, root: fakeBuild() });
    for (const url of ["/assets/../secret.txt", "/assets/..%2Fsecret.txt", "/assets/%2e%2e%2fsecret.txt", "/assets/nope.js", "/assets/", "/assets/x.exe", "/secret.txt"]) {
      const res = await a.inject({ url });
      expect(res.statusCode, url).toBe(404);
      expect(res.body).not.toContain("not an asset");
    }
  });

  it("answers 503 with a page that says how to build it when the page was not built", async () => {
    const a = await app({ authEnabled: false, root: join(tmpdir(), "livetap-no-such-build") });
    const res = await a.inject({ url: "/" });
    expect(res.statusCode).toBe(503);
    expect(res.headers["content-type"]).toBe("text/html; charset=utf-8");
    expect(res.headers["cache-control"]).toBe("no-store");
    expect(res.body).toContain("npm run build");
    expect(res.body).toContain('href="api/telemetry/traces/live"');
  });

  it("takes other page paths (for an app that already has a page at /)", async () => {
    const a = Fastify();
    apps.push(a);
    a.get("/", async () => "other page");
    registerDashboard(a, { authEnabled: false, root: fakeBuild(), pagePaths: ["/index.html"] });
    await a.ready();
    expect((await a.inject({ url: "/" })).body).toBe("other page");
    expect((await a.inject({ url: "/index.html" })).statusCode).toBe(200);
  });

  it("finds dist/dashboard from the source folder and from the compiled one", () => {
    const expected = join(ROOT, "dist", "dashboard");
    expect(findDashboardBuild(join(ROOT, "plugins/sinks/sse/dashboard"))).toBe(expected);
    expect(findDashboardBuild(join(ROOT, "dist/plugins/sinks/sse/dashboard"))).toBe(expected);
    expect(findDashboardBuild()).toBe(expected);
  });
});
