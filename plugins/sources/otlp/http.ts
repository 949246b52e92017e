import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { Counter, Logger, Metrics } from "../../../core/index.js";
import { inflateBody, SecretSet } from "../../../core/kit.js";
import { encodingOf, type Encoding } from "./decode.js";
import type { OtlpOptions } from "./options.js";
import type { OtlpReceiver, Outcome } from "./receiver.js";
import { SIGNALS, type Signal } from "./schema.js";

/** Every status the receiver answers itself; each has its `otlp.rejected-<status>` counter from the start. */
const REJECT_STATUSES = [400, 401, 405, 413, 415, 429, 500, 503] as const;
/** The google.rpc.Code a Status body carries for each HTTP status (as gRPC maps them). */
const RPC_CODES: Record<number, number> = { 400: 3, 401: 16, 405: 12, 413: 8, 415: 3, 429: 8, 500: 13, 503: 14 };
/** Seconds to wait after a 429: the pipeline settles a full window of events well within a second. */
const RETRY_AFTER_FULL = "1";
/** Seconds after a 503: a restart or a sink's recovery. */
const RETRY_AFTER_UNAVAILABLE = "5";
const EMPTY = Buffer.alloc(0);
const MEDIA = { protobuf: "application/x-protobuf", json: "application/json" } as const;

/**
 * OTLP/HTTP (the spec's "OTLP/HTTP" section, after the Collector's otlpreceiver): POST
 * /v1/{logs,traces,metrics}, protobuf or JSON bodies, gzip; the answer is encoded like the
 * request: an Export*ServiceResponse with 200, a google.rpc.Status with 4xx/5xx.
 */
export class OtlpHttp {
  private readonly rejected: Counter;
  private readonly requests: Counter;
  private readonly rejectedBy = new Map<number, Counter>();
  private readonly bearer: SecretSet | undefined;

  constructor(
    private readonly opts: OtlpOptions,
    private readonly receiver: OtlpReceiver,
    private readonly metrics: Metrics,
    private readonly log: Logger,
  ) {
    this.bearer = opts.auth === undefined || opts.auth === "none" ? undefined : new SecretSet(opts.auth.bearer);
    this.requests = metrics.counter("otlp.requests", "OTLP/HTTP and OTLP/gRPC export requests to otlp sources");
    this.rejected = metrics.counter("otlp.rejected", "OTLP export requests refused with an error status (nothing of them ingested)");
    for (const status of REJECT_STATUSES) this.rejectedCounter(status);
  }

  /** Checks an `Authorization` value (HTTP header or gRPC metadata); undefined when it passes. */
  authProblem(header: string | string[] | undefined): string | undefined {
    if (!this.bearer) return undefined;
    if (header === undefined) return "missing Authorization: Bearer <token>";
    if (Array.isArray(header) || header.length > 8192) return "malformed Authorization header";
    const m = /^bearer +(\S+) *$/i.exec(header);
    if (!m) return "malformed Authorization header (expected `Bearer <token>`)";
    return this.bearer.has(m[1]) ? undefined : "bearer token not accepted";
  }

  /** Counts a refusal (HTTP status, or the HTTP status a gRPC refusal stands for). */
  countRejection(status: number): void {
    this.rejected.inc();
    this.rejectedCounter(status).inc();
  }

  countRequest(): void {
    this.requests.inc();
  }

  routes(scope: FastifyInstance): void {
    const { maxBodyBytes } = this.opts;
    // Raw bodies in this scope only: decoding (gzip, protobuf, JSON) is ours, so every error is
    // answered the OTLP way, and other components' routes on a shared server are untouched.
    scope.removeAllContentTypeParsers();
    const raw = (_req: FastifyRequest, body: Buffer | string, done: (err: null, body: Buffer | string) => void): void => done(null, body);
    for (const type of [MEDIA.protobuf, MEDIA.json, "*"]) scope.addContentTypeParser(type, { parseAs: "buffer", bodyLimit: maxBodyBytes }, raw);
    scope.setErrorHandler((err: FastifyError, req, reply) => this.onError(err, req, reply));
    for (const signal of SIGNALS) {
      const url = `/v1/${signal}`;
      scope.route({
        method: "POST",
        url,
        bodyLimit: maxBodyBytes,
        onRequest: (req, reply, done) => {
          this.requests.inc();
          // Refused before a byte of the body is read: credentials, then capacity.
          const problem = this.authProblem(req.headers.authorization);
          if (problem !== undefined) return this.reject(req, reply, 401, problem);
          if (this.receiver.isDraining) return this.reject(req, reply, 503, "the source is shutting down and takes no more exports");
          // Metrics become no events: a pipeline full of events does not hold them up.
          if (signal !== "metrics" && this.receiver.isFull) return this.reject(req, reply, 429, this.receiver.fullDetails());
          if (encodingOf(req.headers["content-type"]) === undefined) return this.unsupported(req, reply);
          done();
        },
        handler: (req, reply) => this.export(signal, req, reply),
      });
      const others = (["GET", "HEAD", "PUT", "DELETE", "PATCH", "OPTIONS"] as const).filter((method) => !scope.hasRoute({ method, url }));
      if (others.length > 0) {
        scope.route({
          method: others,
          url,
          exposeHeadRoute: false,
          handler: (req, reply) => {
            this.requests.inc();
            void reply.header("allow", "POST");
            this.reject(req, reply, 405, `${req.method} is not allowed on ${url}: exporters POST to it`);
          },
        });
      }
    }
  }

  private async export(signal: Signal, req: FastifyRequest, reply: FastifyReply): Promise<void> {
    const encoding = encodingOf(req.headers["content-type"])!;
    const inflated = await inflateBody((req.body as Buffer | undefined) ?? EMPTY, header(req.headers["content-encoding"]), this.opts.maxBodyBytes);
    if (!inflated.ok) return this.reject(req, reply, inflated.status, inflated.details);
    const outcome = await this.receiver.receive(signal, encoding, inflated.body);
    this.answer(signal, encoding, outcome, req, reply);
  }

  private answer(signal: Signal, encoding: Encoding, outcome: Outcome, req: FastifyRequest, reply: FastifyReply): void {
    switch (outcome.kind) {
      case "ok": {
        const type = this.receiver.schema.signals[signal].response;
        const message = type.fromObject(this.receiver.responseObject(signal, outcome));
        void reply.code(200).header("content-type", MEDIA[encoding]);
        if (encoding === "protobuf") void reply.send(Buffer.from(type.encode(message).finish()));
        else void reply.send(Buffer.from(JSON.stringify(type.toObject(message, { longs: String }))));
        return;
      }
      case "bad":
        return this.reject(req, reply, 400, outcome.details);
      case "full":
        return this.reject(req, reply, 429, outcome.details);
      case "unavailable":
        return this.reject(req, reply, 503, outcome.details);
    }
  }

  private unsupported(req: FastifyRequest, reply: FastifyReply): void {
    const type = String(req.headers["content-type"] ?? "").slice(0, 100);
    this.reject(req, reply, 415, `content-type ${JSON.stringify(type)} is not OTLP: send application/x-protobuf or application/json`);
  }

  private onError(err: FastifyError, req: FastifyRequest, reply: FastifyReply): void {
    const status = typeof err.statusCode === "number" && err.statusCode >= 400 && err.statusCode < 600 ? err.statusCode : 500;
    let details = err.message;
    if (err.code === "FST_ERR_CTP_BODY_TOO_LARGE") details = `the body is over maxBodyBytes (${this.opts.maxBodyBytes} bytes): send smaller batches`;
    else if (status >= 500) {
      this.log.error({ err, url: req.url }, "otlp request failed");
      details = "see the server log";
    }
    this.reject(req, reply, status, details);
  }

  /** Every error answer goes through here, so each is counted; the body is a google.rpc.Status in the request's encoding. */
  private reject(req: FastifyRequest, reply: FastifyReply, status: number, details: string): void {
    this.countRejection(status);
    this.log.debug({ status, details, url: req.url }, "otlp request refused");
    if (status === 401) void reply.header("www-authenticate", 'Bearer realm="livetap"');
    if (status === 429) void reply.header("retry-after", RETRY_AFTER_FULL);
    if (status === 503) void reply.header("retry-after", RETRY_AFTER_UNAVAILABLE);
    const encoding = encodingOf(req.headers["content-type"]) ?? "json";
    const statusType = this.receiver.schema.status;
    const body = { code: RPC_CODES[status] ?? 2, message: details };
    void reply.code(status).header("content-type", MEDIA[encoding]);
    void reply.send(encoding === "protobuf" ? Buffer.from(statusType.encode(statusType.fromObject(body)).finish()) : Buffer.from(JSON.stringify(body)));
  }

  private rejectedCounter(status: number): Counter {
    let c = this.rejectedBy.get(status);
    if (!c) {
      c = this.metrics.counter(`otlp.rejected-${status}`, `OTLP requests answered ${status}`);
      this.rejectedBy.set(status, c);
    }
    return c;
  }
}

function header(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v.join(",") : v;
}
