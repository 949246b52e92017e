import { Observable, type SchedulerLike } from "rxjs";
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { type BoundServer, type Counter, type Delivery, DELIVERY, HTTP_SERVERS, type HttpServers, inject, injectable, type LiveEventInput, LOGGER, type Logger, METRICS, type Metrics, OPTIONS, PluginProblems, SCHEDULER, type Source } from "../../../core/index.js";
import { inflateBody, isLoopback, parseAddress, type RecordOptions } from "../../../core/kit.js";
import { WebhookAuth } from "./auth.js";
import { parseBody, parseMediaType, type BodyError, type MediaType } from "./body.js";
import type { WebhookOptions } from "./options.js";
import { IngestQueue } from "./queue.js";

/** Every status the source answers itself; each has its `webhook.rejected-<status>` counter from the start. */
const REJECT_STATUSES = [400, 401, 405, 413, 415, 429, 500, 503] as const;
const REASONS: Record<number, string> = {
  400: "bad request",
  401: "unauthorized",
  405: "method not allowed",
  413: "payload too large",
  415: "unsupported media type",
  429: "too many requests",
  500: "internal error",
  503: "service unavailable",
};
const OTHER_METHODS = ["GET", "HEAD", "PUT", "DELETE", "PATCH", "OPTIONS"] as const;
/** Seconds a client should wait after a 429: the queue hands a full queue's worth to the pipeline per loop turn, so one second is plenty. */
const RETRY_AFTER_FULL = "1";
/** Seconds after a 503 while the source drains: a restart or a peer takes over by then. */
const RETRY_AFTER_DRAINING = "5";
/** Seconds after a 503 for a request whose events did not settle in time (ack "delivered"). */
const RETRY_AFTER_UNSETTLED = "5";
const EMPTY = Buffer.alloc(0);
/** Distinct Content-Type headers remembered; senders use one or two, so this is only a bound. */
const MEDIA_TYPE_CACHE = 64;

const ERROR_SCHEMA = {
  type: "object",
  properties: { error: { type: "string" }, details: { type: "string" }, line: { type: "integer" } },
  required: ["error", "details"],
} as const;
const RESPONSE_SCHEMAS = {
  202: { type: "object", properties: { accepted: { type: "integer" } }, required: ["accepted"] },
  "4xx": ERROR_SCHEMA,
  "5xx": ERROR_SCHEMA,
} as const;

/**
 * CONTRACT 5: events posted over HTTP(S). Routes live in their own fastify scope on the
 * (possibly shared) server of `address`, so the raw-body parsers and the error handler here
 * touch no other component's routes. Requests are parsed whole from the raw bytes (which the
 * HMAC covers), then queued all or nothing; the pipeline takes them asynchronously.
 */
@injectable()
export class WebhookSource implements Source {
  private readonly queue: IngestQueue<LiveEventInput>;
  private readonly auth: WebhookAuth | undefined;
  private readonly record: Omit<RecordOptions, "extra">;
  private readonly requests: Counter;
  private readonly accepted: Counter;
  private readonly rejected: Counter;
  private readonly unsettled: Counter;
  private readonly rejectedBy = new Map<number, Counter>();
  private readonly mediaTypes = new Map<string, MediaType | BodyError>();
  private bound: BoundServer | undefined;

  constructor(
    @inject(OPTIONS) private readonly opts: WebhookOptions,
    @inject(LOGGER) private readonly log: Logger,
    @inject(METRICS) private readonly metrics: Metrics,
    @inject(HTTP_SERVERS) private readonly http: HttpServers,
    @inject(DELIVERY) private readonly delivery: Delivery,
    @inject(SCHEDULER) private readonly clock: SchedulerLike,
  ) {
    this.auth = opts.auth === undefined || opts.auth === "none" ? undefined : new WebhookAuth(opts.auth);
    this.record = { defaultType: opts.defaultType, typeField: opts.typeField, timeFields: opts.timeFields };
    this.requests = metrics.counter("webhook.requests", "HTTP requests to webhook sources' paths");
    this.accepted = metrics.counter("webhook.events", "Events accepted by webhook sources");
    this.rejected = metrics.counter("webhook.rejected", "Webhook requests answered with an error status (nothing of them ingested)");
    this.unsettled = metrics.counter("webhook.unsettled", 'Requests with ack "delivered" answered 503 because their events did not settle in time or a sink failed them');
    for (const status of REJECT_STATUSES) this.rejectedCounter(status);
    // Adjusted by deltas, not set: several webhook sources in one process share the gauge.
    const pending = metrics.gauge("webhook.pending", "Events accepted by webhook sources and not yet taken by the pipeline");
    this.queue = new IngestQueue<LiveEventInput>(opts.maxPendingEvents, (delta) => pending.set(pending.value + delta));
  }

  /** Registers the routes on the server of `address`; the pool listens once every component started. */
  async start(): Promise<void> {
    const hp = parseAddress(this.opts.address);
    if (typeof hp === "string") throw new PluginProblems([{ path: ["address"], message: hp }]);
    if (this.opts.auth === undefined && !isLoopback(hp.host)) {
      throw new PluginProblems([
        {
          path: ["address"],
          message:
            `"${this.opts.address}" is not a loopback address, so posts need credentials: ` +
            'set auth.bearer or auth.hmac, or "auth": "none" to accept unauthenticated posts from anyone who can reach it',
        },
      ]);
    }
    const bound = await this.http.server(this.opts.address, this.opts.tls ? { tls: this.opts.tls } : {});
    this.bound = bound;
    void bound.app.register(async (scope) => this.routes(scope));
  }

  events(): Observable<LiveEventInput> {
    return new Observable<LiveEventInput>((subscriber) => this.queue.attach(subscriber));
  }

  /** Answers 503 to new posts, hands the queued events to the pipeline, then completes. */
  drain(): void {
    this.queue.drain();
  }

  /** The URL posts go to, once the server listens (e.g. `http://127.0.0.1:8081/ingest`). */
  url(): string | undefined {
    const base = this.bound?.url();
    return base === undefined ? undefined : `${base}${this.opts.path}`;
  }

  /** Accepted events not yet taken by the pipeline. */
  get pending(): number {
    return this.queue.pending;
  }

  /** No request fits now: the queue is full, or the source's unsettled events are at maxPendingEvents. */
  private get isFull(): boolean {
    return this.queue.isFull || this.delivery.full;
  }

  private routes(scope: FastifyInstance): void {
    const { path, maxBodyBytes } = this.opts;
    // Our own parsers, in this scope only: every body is read raw (bounded), so the HMAC sees
    // the exact bytes and every content-type and syntax error is answered the CONTRACT 5 way.
    scope.removeAllContentTypeParsers();
    const raw = (_req: FastifyRequest, body: Buffer | string, done: (err: null, body: Buffer | string) => void): void => done(null, body);
    // The same raw reader for all; the three named types only let fastify cache its lookup.
    for (const type of ["application/json", "application/x-ndjson", "text/plain", "*"]) {
      scope.addContentTypeParser(type, { parseAs: "buffer", bodyLimit: maxBodyBytes }, raw);
    }
    scope.setErrorHandler((err: FastifyError, req, reply) => this.onError(err, req, reply));
    scope.addHook("onClose", async () => this.queue.close());

    scope.route({
      method: "POST",
      url: path,
      bodyLimit: maxBodyBytes,
      schema: { response: RESPONSE_SCHEMAS },
      onRequest: (req, reply, done) => {
        this.requests.inc();
        if (this.queue.isDraining) return this.unavailable(reply);
        if (this.auth && !this.auth.needsBody) {
          // Bearer-only: refuse before reading a byte of the body.
          const v = this.auth.check(req.headers, undefined);
          if (!v.ok) return this.unauthorized(reply, v.details);
          if (this.isFull) return this.full(reply, undefined);
        } else if (!this.auth && this.isFull) return this.full(reply, undefined);
        done();
      },
      handler: async (req, reply) => {
        await this.ingest(req, reply);
        return reply;
      },
    });
    // A component sharing the server may already serve GET on this path (a dashboard at "/").
    const others = OTHER_METHODS.filter((method) => !scope.hasRoute({ method, url: path }));
    if (others.length === 0) return;
    scope.route({
      method: others,
      url: path,
      exposeHeadRoute: false,
      schema: { response: RESPONSE_SCHEMAS },
      handler: (req, reply) => {
        this.requests.inc();
        void reply.header("allow", "POST");
        this.reject(reply, 405, `${req.method} is not allowed on ${path}: POST events to it`);
      },
    });
  }

  private async ingest(req: FastifyRequest, reply: FastifyReply): Promise<void> {
    // Checked again: the body may have taken a while to arrive.
    if (this.queue.isDraining) return this.unavailable(reply);
    const raw = (req.body as Buffer | undefined) ?? EMPTY;
    if (this.auth?.needsBody) {
      // The signature covers the bytes as sent, compressed or not.
      const v = this.auth.check(req.headers, raw);
      if (!v.ok) return this.unauthorized(reply, v.details);
    }
    // A full queue refuses any request: no need to decode or parse this one first.
    if (this.isFull) return this.full(reply, undefined);
    let body = raw;
    const encoding = req.headers["content-encoding"];
    if (encoding !== undefined) {
      // maxBodyBytes bounds the decoded size too (fastify bounded the encoded one).
      const decoded = await inflateBody(raw, encoding, this.opts.maxBodyBytes);
      if (!decoded.ok) return this.reject(reply, decoded.status, decoded.details);
      body = decoded.body;
      if (this.queue.isDraining) return this.unavailable(reply);
    }
    const max = this.opts.maxPendingEvents;
    const parsed = parseBody(this.mediaType(req.headers["content-type"]), body, { ...this.record, extra: { remoteIp: remoteIp(req) } }, max);
    if (!parsed.ok) return this.reject(reply, parsed.status, parsed.details, parsed.line);
    const n = parsed.events.length;
    // Unsettled events of earlier requests count against the bound too; an idle source takes any one request.
    if (this.delivery.pending > 0 && this.delivery.pending + n > this.opts.maxPendingEvents) return this.full(reply, n);
    if (this.opts.ack === "delivered") return this.ingestDelivered(reply, parsed.events);
    if (!this.queue.offer(this.delivery.track(parsed.events))) return this.queue.isDraining ? this.unavailable(reply) : this.full(reply, n);
    this.accepted.inc(n);
    void reply.code(202).send({ accepted: n });
  }

  /**
   * ack "delivered" (CONTRACT 7): 202 once every event of the request settled; 503 with
   * Retry-After when that takes longer than ackTimeoutMs or a sink failed some of them.
   */
  private ingestDelivered(reply: FastifyReply, events: LiveEventInput[]): void {
    const n = events.length;
    let answered = false;
    const timer = this.clock.schedule(() => {
      if (answered) return;
      answered = true;
      this.unsettled.inc();
      void reply.header("retry-after", RETRY_AFTER_UNSETTLED);
      this.reject(reply, 503, `the events were accepted but not delivered within ackTimeoutMs (${this.opts.ackTimeoutMs} ms): retry later (a retry may duplicate them)`);
    }, this.opts.ackTimeoutMs);
    const tracked = this.delivery.track(events, (s) => {
      timer.unsubscribe();
      if (answered) return;
      answered = true;
      if (s.failed > 0) {
        this.unsettled.inc();
        void reply.header("retry-after", RETRY_AFTER_UNSETTLED);
        return this.reject(reply, 503, `${s.failed} of ${n} events could not be delivered by a sink: retry later (a retry may duplicate the others)`);
      }
      void reply.code(202).send({ accepted: n });
    });
    if (!this.queue.offer(tracked)) {
      timer.unsubscribe();
      answered = true;
      return this.queue.isDraining ? this.unavailable(reply) : this.full(reply, n);
    }
    this.accepted.inc(n);
  }

  private mediaType(header: string | undefined): MediaType | BodyError {
    if (header === undefined) return parseMediaType(header);
    let media = this.mediaTypes.get(header);
    if (media === undefined) {
      if (this.mediaTypes.size >= MEDIA_TYPE_CACHE) this.mediaTypes.clear();
      media = parseMediaType(header);
      this.mediaTypes.set(header, media);
    }
    return media;
  }

  private onError(err: FastifyError, req: FastifyRequest, reply: FastifyReply): void {
    const status = typeof err.statusCode === "number" && err.statusCode >= 400 && err.statusCode < 600 ? err.statusCode : 500;
    let details = err.message;
    if (err.code === "FST_ERR_CTP_BODY_TOO_LARGE") details = `body is over maxBodyBytes (${this.opts.maxBodyBytes} bytes): send smaller batches`;
    else if (err.code === "FST_ERR_CTP_INVALID_MEDIA_TYPE") {
      details = `content-type "${String(req.headers["content-type"]).slice(0, 100)}" is not accepted: send application/json, application/x-ndjson or text/plain`;
    } else if (status >= 500) {
      this.log.error({ err, url: req.url }, "webhook request failed");
      details = "see the server log";
    }
    this.reject(reply, status, details);
  }

  private unauthorized(reply: FastifyReply, details: string): void {
    if (this.auth?.challenge) void reply.header("www-authenticate", this.auth.challenge);
    this.reject(reply, 401, details);
  }

  private full(reply: FastifyReply, events: number | undefined): void {
    void reply.header("retry-after", RETRY_AFTER_FULL);
    const more = events === undefined ? "more" : `${events} more`;
    this.reject(
      reply,
      429,
      `${Math.max(this.queue.pending, this.delivery.pending)} accepted events are waiting for the pipeline or its sinks and ${more} would exceed maxPendingEvents (${this.opts.maxPendingEvents}): retry later`,
    );
  }

  private unavailable(reply: FastifyReply): void {
    void reply.header("retry-after", RETRY_AFTER_DRAINING);
    this.reject(reply, 503, "the source is shutting down and takes no more events");
  }

  /** Every error answer goes through here, so each is counted (`webhook.rejected`, `webhook.rejected-<status>`). */
  private reject(reply: FastifyReply, status: number, details: string, line?: number): void {
    this.rejected.inc();
    this.rejectedCounter(status).inc();
    this.log.debug({ status, details, line, remoteIp: remoteIp(reply.request) }, "webhook request rejected");
    const error = REASONS[status] ?? "request failed";
    void reply.code(status).send(line === undefined ? { error, details } : { error, details, line });
  }

  private rejectedCounter(status: number): Counter {
    let c = this.rejectedBy.get(status);
    if (!c) {
      c = this.metrics.counter(`webhook.rejected-${status}`, `Webhook requests answered ${status}`);
      this.rejectedBy.set(status, c);
    }
    return c;
  }
}

/** The peer's address as a plain IPv4 string when it came over an IPv4-mapped IPv6 socket. */
function remoteIp(req: FastifyRequest): string {
  const ip = req.ip ?? req.socket.remoteAddress ?? "";
  return ip.startsWith("::ffff:") && ip.includes(".") ? ip.slice(7) : ip;
}
