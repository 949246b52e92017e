import type { ServerResponse } from "node:http";
import type { FastifyPluginAsync, FastifyReply, FastifyRequest, onRequestAsyncHookHandler } from "fastify";
import type { ComponentStats } from "../../../core/index.js";
import type { FilterError, Matcher } from "../../../core/kit.js";
import type { StreamAuth, StreamEndpoint } from "./auth.js";
import { parseMetricsQuery, type MetricsQuery } from "./metrics-stream.js";
import { registerDashboard } from "./dashboard/serve.js";
import { registerCors } from "./cors.js";
import { registerMetricsHistory, type HistorySample, type MetricsHistory } from "./metrics-history.js";
import type { StalwartLogin } from "./stalwart/login.js";
import { registerStalwartLogin } from "./stalwart/routes.js";
import type { PrometheusExporter } from "./prometheus.js";
import { PATHS } from "./paths.js";
import { scopeOfRequest } from "./scope.js";
import { parseTopQuery, parseTracesQuery, type TopQuery, type TracesQuery } from "./stream-query.js";

/** What a client over `maxClients` is told to wait before retrying. */
export const RETRY_AFTER_SECONDS = 5;

/** What the routes need from the sink. */
export interface RoutesContext {
  auth: StreamAuth;
  exporter: PrometheusExporter;
  defaultMetricsIntervalSeconds: number;
  /** Why no stream can open now (all slots taken, or stopping); undefined when one can. */
  unavailable(): string | undefined;
  /** A 400 body when `query` names an unknown component or taps are off; undefined when it can open. */
  checkTap(query: TracesQuery): FilterError | undefined;
  openTraces(res: ServerResponse, query: TracesQuery, lastEventId: string | undefined, scope: readonly string[] | undefined): void;
  openTop(res: ServerResponse, query: TopQuery, scope: readonly string[] | undefined): void;
  pipeline(): ComponentStats[];
  /** Components `outputs-of` opens on this sink: none when `tapComponents` is off. */
  tappable(): string[];
  /** The sink's clock (SCHEDULER): `since=5m` counts back from it. */
  now(): number;
  openMetrics(res: ServerResponse, query: MetricsQuery): void;
  /** The server is closing: end the streams gracefully before connections are cut. */
  closing(): void;
  /** `GET /api/telemetry/metrics?after=` (CONTRACT 11), its samples shaped by `shape`. */
  history: { samples: MetricsHistory; shape(samples: HistorySample[]): HistorySample[] };
  /** The `cors` option. */
  cors?: readonly string[];
  /** `compat: "stalwart"`: Stalwart's filters (never a 400) and WebAdmin's login. */
  compat?: { traceFilter(params: URLSearchParams): Matcher; login: StalwartLogin };
}

const errorBody = {
  type: "object",
  properties: { error: { type: "string" }, details: { type: "string" } },
  required: ["error", "details"],
} as const;
const tokenSchema = {
  response: {
    200: { type: "object", properties: { data: { type: "string" }, expiresIn: { type: "integer" } }, required: ["data", "expiresIn"] },
    400: errorBody,
    401: errorBody,
    403: errorBody,
  },
} as const;

/**
 * The sink's routes, registered in their own encapsulated fastify context (the instance may be
 * shared with other components on the same address). Checks run in CONTRACT 4 order: auth
 * (onRequest, 401), parameters (400), capacity (503).
 */
export function sseRoutes(ctx: RoutesContext): FastifyPluginAsync {
  // Async: a throw while adding routes rejects `register`, instead of stalling the boot.
  return async (app) => {
    // The scope of the credential each request passed with (scoped credentials, CONTRACT 9).
    const scopes = new WeakMap<FastifyRequest, readonly string[]>();
    /** `unscopedOnly`: endpoints a scoped credential may not use (they show more than one tenant). */
    const guard = (endpoint: StreamEndpoint | "api", unscopedOnly = false): onRequestAsyncHookHandler =>
      async function (req, reply) {
        if (!ctx.auth.enabled) return;
        if (ctx.compat && loginBearer(req, ctx.compat.login)) return;
        const params = searchParams(req.url);
        const query = Object.fromEntries(lastWins(params));
        const decision = await ctx.auth.check({ headers: req.headers, query, remoteAddress: req.socket.remoteAddress }, endpoint, lastEventIdOf(req, params));
        if (!decision.ok) {
          if (decision.status === 429) {
            return reply.code(429).header("retry-after", String(decision.retryAfterSeconds)).send({ error: "too many requests", details: decision.details });
          }
          return reply.code(401).header("www-authenticate", decision.wwwAuthenticate).send({ error: "unauthorized", details: decision.details });
        }
        if (decision.scope === undefined) return;
        if (unscopedOnly) return reply.code(403).send({ error: "forbidden", details: "a scoped credential opens only the traces and top streams, never process-wide data" });
        scopes.set(req, decision.scope);
      };

    app.addHook("preClose", async () => ctx.closing());
    registerCors(app, ctx.cors, Object.values(PATHS));

    // Streams: no automatic HEAD route, which would open a stream that sends nothing.
    app.get(PATHS.traces, { onRequest: guard("traces"), exposeHeadRoute: false }, (req, reply) => {
      const params = searchParams(req.url);
      const query = parseTracesQuery(params, ctx.now(), undefined, ctx.compat?.traceFilter);
      if ("error" in query) return reply.code(400).send(query);
      const tapProblem = ctx.checkTap(query);
      if (tapProblem) return reply.code(400).send(tapProblem);
      if (refuseWhenFull(ctx, reply)) return reply;
      reply.hijack();
      ctx.openTraces(reply.raw, query, lastEventIdOf(req, params), scopes.get(req));
    });

    // The top stream takes the traces stream's tokens: it shows the same events, counted.
    app.get(PATHS.top, { onRequest: guard("traces"), exposeHeadRoute: false }, (req, reply) => {
      const query = parseTopQuery(searchParams(req.url), ctx.now());
      if ("error" in query) return reply.code(400).send(query);
      const tapProblem = ctx.checkTap(query);
      if (tapProblem) return reply.code(400).send(tapProblem);
      if (refuseWhenFull(ctx, reply)) return reply;
      reply.hijack();
      ctx.openTop(reply.raw, query, scopes.get(req));
    });

    app.get(PATHS.metrics, { onRequest: guard("metrics", true), exposeHeadRoute: false }, (req, reply) => {
      const query = parseMetricsQuery(searchParams(req.url), ctx.defaultMetricsIntervalSeconds);
      if ("error" in query) return reply.code(400).send(query);
      if (refuseWhenFull(ctx, reply)) return reply;
      reply.hijack();
      ctx.openMetrics(reply.raw, query);
    });

    // The request's filters become the token's scope, added to the caller's own: narrower only.
    app.get(PATHS.tracingToken, { onRequest: guard("api"), schema: tokenSchema }, async (req, reply) => {
      const asked = scopeOfRequest(searchParams(req.url));
      if (typeof asked === "object") return reply.code(400).send(asked);
      const ttl = tokenTtlOf(searchParams(req.url));
      if (typeof ttl === "object") return reply.code(400).send(ttl);
      const scope = [...(scopes.get(req) ?? []), ...(asked === undefined ? [] : [asked])];
      const { token, expiresIn } = ctx.auth.issue("traces", scope, ttl);
      return { data: token, expiresIn };
    });
    app.get(PATHS.metricsToken, { onRequest: guard("api", true), schema: tokenSchema }, async (req, reply) => {
      const ttl = tokenTtlOf(searchParams(req.url));
      if (typeof ttl === "object") return reply.code(400).send(ttl);
      const { token, expiresIn } = ctx.auth.issue("metrics", undefined, ttl);
      return { data: token, expiresIn };
    });

    app.get(PATHS.pipeline, { onRequest: guard("api", true) }, async () => ({ components: ctx.pipeline(), tappable: ctx.tappable() }));

    app.get(PATHS.prometheus, { onRequest: guard("api", true) }, async (_req, reply) => {
      const text = await ctx.exporter.scrape();
      return reply.type(ctx.exporter.contentType).send(text);
    });

    registerMetricsHistory(app, PATHS.metricsHistory, ctx.history.samples, guard("api"), ctx.history.shape);
    if (ctx.compat) registerStalwartLogin(app, { oauth: PATHS.oauth, token: PATHS.authToken }, ctx.compat.login, guard("api"));

    // Outside auth: liveness probes and the page that asks for credentials.
    app.get(
      PATHS.health,
      { schema: { response: { 200: { type: "object", properties: { status: { type: "string" } }, required: ["status"] } } } },
      async () => ({ status: "ok" }),
    );
    registerDashboard(app, { authEnabled: ctx.auth.enabled });
  };
}

/** An access token from WebAdmin's login (`Authorization: Bearer`), still valid. */
function loginBearer(req: FastifyRequest, login: StalwartLogin): boolean {
  const h = req.headers.authorization;
  const m = typeof h === "string" ? /^Bearer +(\S+) *$/i.exec(h) : null;
  return m !== null && login.accepts(m[1]);
}

function refuseWhenFull(ctx: RoutesContext, reply: FastifyReply): boolean {
  const why = ctx.unavailable();
  if (why === undefined) return false;
  void reply.code(503).header("retry-after", String(RETRY_AFTER_SECONDS)).send({ error: "service unavailable", details: why });
  return true;
}

/** Standard query decoding (`%XX`, `+` is a space) of the raw URL, every value kept. */
function searchParams(url: string): URLSearchParams {
  const q = url.indexOf("?");
  return new URLSearchParams(q < 0 ? "" : url.slice(q + 1));
}

function lastWins(params: URLSearchParams): Map<string, string> {
  const m = new Map<string, string>();
  for (const [k, v] of params) m.set(k, v);
  return m;
}

/**
 * The header wins over the query: a browser EventSource opened with `?lastEventId=` keeps that
 * URL, but sends the id it really got last in the header when it reconnects.
 */
function lastEventIdOf(req: FastifyRequest, params: URLSearchParams): string | undefined {
  const header = req.headers["last-event-id"];
  const h = Array.isArray(header) ? header[header.length - 1] : header;
  if (h) return h;
  const all = params.getAll("lastEventId");
  return all[all.length - 1] || undefined;
}

/** A token endpoint's `ttl=SECONDS` (the life asked for; the auth cuts it to its maximum), or what is wrong with it. */
function tokenTtlOf(params: URLSearchParams): number | undefined | { error: string; details: string } {
  const asked = params.getAll("ttl").at(-1);
  if (asked === undefined) return undefined;
  if (!/^[1-9]\d{0,9}$/.test(asked)) return { error: "invalid parameter ttl", details: `expected a whole number of seconds (1 or more), got ${JSON.stringify(asked.slice(0, 40))}` };
  return Number(asked);
}
