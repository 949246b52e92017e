/**
 * The `cors` option: lets a page served from another origin (Stalwart's WebAdmin on its own
 * server) call this sink's API and open its streams. Only listed origins get
 * `Access-Control-Allow-Origin`; preflights of the others are answered without it, which the
 * browser takes as a refusal. No cookies are involved (`Allow-Credentials` is never sent):
 * credentials travel in `Authorization` or `?token=`.
 */
import type { FastifyInstance } from "fastify";
import { z } from "zod";

export const CorsOption = z
  .array(
    z
      .string()
      .max(200)
      .regex(/^(\*|https?:\/\/[^/\s]+)$/, 'an origin is "scheme://host[:port]" without a path (e.g. "https://mail.example.org"), or "*" for any'),
  )
  .max(100)
  .optional()
  .describe(
    'Origins whose pages may call the API and streams from a browser (e.g. ["https://mail.example.org"] for a WebAdmin served there), ' +
      'or ["*"] for any. Answers preflights and sets Access-Control-Allow-Origin. Default: none (same origin only).',
  );

const ALLOW_METHODS = "GET, POST, OPTIONS";
const ALLOW_HEADERS = "Authorization, Content-Type, Last-Event-ID";
const MAX_AGE_SECONDS = "600";

/**
 * Adds the CORS headers to every response of this (encapsulated) context and answers the
 * preflights of `paths`. Headers go on the raw response, so hijacked streams carry them too.
 */
export function registerCors(app: FastifyInstance, origins: readonly string[] | undefined, paths: readonly string[]): void {
  if (!origins || origins.length === 0) return;
  const any = origins.includes("*");
  const allowed = new Set(origins.map((o) => o.toLowerCase()));
  const allowedOrigin = (origin: string | string[] | undefined): string | undefined => {
    if (typeof origin !== "string" || origin === "") return undefined;
    if (any) return "*";
    return allowed.has(origin.toLowerCase()) ? origin : undefined;
  };
  app.addHook("onRequest", async (req, reply) => {
    const origin = allowedOrigin(req.headers.origin);
    if (!any) reply.raw.setHeader("vary", "Origin");
    if (origin === undefined) return;
    reply.raw.setHeader("access-control-allow-origin", origin);
    reply.raw.setHeader("access-control-expose-headers", "Retry-After, WWW-Authenticate");
  });
  for (const url of new Set(paths)) {
    app.options(url, async (_req, reply) => {
      if (reply.raw.hasHeader("access-control-allow-origin")) {
        reply.header("access-control-allow-methods", ALLOW_METHODS);
        reply.header("access-control-allow-headers", ALLOW_HEADERS);
        reply.header("access-control-max-age", MAX_AGE_SECONDS);
      }
      return reply.code(204).send();
    });
  }
}
