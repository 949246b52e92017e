/**
 * Serves the dashboard page built by vite (vite.config.ts -> dist/dashboard/): index.html at
 * `/` (and `/index.html`) and the hashed files under `/assets/`. Both are outside auth
 * (CONTRACT 4: the page asks for credentials itself). The page's CSP allows its own origin
 * only: no inline script or style, no CDN, so it works offline and an event's text can never
 * run as code.
 */
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { dirname, extname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { FastifyInstance, FastifyReply } from "fastify";

export interface DashboardOptions {
  /** The sink has `auth`: the page asks for credentials before it connects. */
  authEnabled: boolean;
  /** The vite output folder (index.html, assets/); default: dist/dashboard of this package. */
  root?: string;
  /** Paths that answer with the page (default `/` and `/index.html`). */
  pagePaths?: readonly string[];
}

export const DASHBOARD_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "manifest-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");

const PAGE_HEADERS = {
  "content-security-policy": DASHBOARD_CSP,
  "x-content-type-options": "nosniff",
  // Stream URLs carry ?token=: never leak an address to another site.
  "referrer-policy": "no-referrer",
  "x-frame-options": "DENY",
} as const;

const CONTENT_TYPES: Record<string, string> = {
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".woff2": "font/woff2",
  ".json": "application/json; charset=utf-8",
  ".map": "application/json; charset=utf-8",
  ".txt": "text/plain; charset=utf-8",
};

/** vite names: `index-Bn0aYzuO.js`. No separators, so no way out of the folder. */
const ASSET_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,200}$/;
const MAX_CACHED_ASSETS = 64;

/** Adds the dashboard's routes to `app` (call it where the sink adds its routes). */
export function registerDashboard(app: FastifyInstance, opts: DashboardOptions): void {
  const root = opts.root ?? findDashboardBuild();
  const assetsDir = join(root, "assets");
  // Hashed names never change content: each is read once (a rebuild brings new names).
  const cache = new Map<string, Buffer>();

  const page = async (_req: unknown, reply: FastifyReply) => {
    let html: string;
    try {
      html = await readFile(join(root, "index.html"), "utf8");
    } catch {
      return reply.code(503).headers({ ...PAGE_HEADERS, "cache-control": "no-store" }).type("text/html; charset=utf-8").send(notBuiltPage(root));
    }
    return reply
      .headers({ ...PAGE_HEADERS, "cache-control": "no-cache" })
      .type("text/html; charset=utf-8")
      .send(withAuthFlag(html, opts.authEnabled));
  };
  for (const path of opts.pagePaths ?? ["/", "/index.html"]) app.get(path, page);

  app.get<{ Params: { "*": string } }>("/assets/*", async (req, reply) => {
    const name = req.params["*"];
    const type = CONTENT_TYPES[extname(name)];
    const notFound = () => reply.code(404).send({ error: "not found", details: `no dashboard asset "${name.slice(0, 100)}" (was the page built by a different version?)` });
    if (!ASSET_NAME.test(name) || name.includes("..") || type === undefined) return notFound();
    let body = cache.get(name);
    if (!body) {
      try {
        body = await readFile(join(assetsDir, name));
      } catch {
        return notFound();
      }
      if (cache.size >= MAX_CACHED_ASSETS) cache.delete(cache.keys().next().value!);
      cache.set(name, body);
    }
    return reply
      .headers({ "cache-control": "public, max-age=31536000, immutable", "x-content-type-options": "nosniff" })
      .type(type)
      .send(body);
  });
}

/** The page reads `<meta name="livetap-auth">` to ask for credentials before its first request. */
export function withAuthFlag(html: string, authEnabled: boolean): string {
  return html.replace(/(<meta name="livetap-auth" content=")[a-z]*(")/, `$1${authEnabled ? "on" : "off"}$2`);
}

/**
 * dist/dashboard/ of this package, found from where this module runs: compiled
 * (dist/plugins/sinks/sse/dashboard/serve.js) or from source under vitest
 * (plugins/sinks/sse/dashboard/serve.ts). Walks up to the folder with package.json.
 */
export function findDashboardBuild(from = dirname(fileURLToPath(import.meta.url))): string {
  let dir = from;
  for (;;) {
    const candidate = join(dir, "dist", "dashboard");
    if (existsSync(join(candidate, "index.html")) || existsSync(join(dir, "package.json"))) return candidate;
    const parent = dirname(dir);
    if (parent === dir) return join(from, "dashboard-not-found");
    dir = parent;
  }
}

function notBuiltPage(root: string): string {
  const where = root.replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]!);
  return `<!doctype html>
<html lang="en">
  <head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>livetap: dashboard not built</title></head>
  <body>
    <h1>The dashboard is not built</h1>
    <p>livetap found no page in <code>${where}</code>. Run <code>npm run build</code> in the livetap folder (it builds the page with vite), then reload.</p>
    <p>The live endpoints work without it: <a href="api/telemetry/traces/live">api/telemetry/traces/live</a>,
      <a href="api/telemetry/metrics/live">api/telemetry/metrics/live</a>, <a href="metrics">metrics</a>, <a href="healthz">healthz</a>.</p>
  </body>
</html>
`;
}
