import { Observable } from "rxjs";
import { DELIVERY, HTTP_SERVERS, inject, injectable, LOGGER, METRICS, type Metrics, OPTIONS, PluginProblems, type BoundServer, type Delivery, type HttpServers, type LiveEventInput, type Logger, type Source } from "../../../core/index.js";
import { isLoopback, parseAddress } from "../../../core/kit.js";
import { OtlpGrpc } from "./grpc.js";
import { OtlpHttp } from "./http.js";
import type { OtlpOptions } from "./options.js";
import { OtlpReceiver } from "./receiver.js";

/**
 * CONTRACT 10: an OpenTelemetry OTLP receiver. OTLP/HTTP routes live in their own fastify scope
 * on the (possibly shared) server of `address`; OTLP/gRPC, when `grpcAddress` is set, on a
 * grpc-js server of its own. Both feed one receiver: decode, map, emit as one tracked batch.
 */
@injectable()
export class OtlpSource implements Source {
  private readonly receiver: OtlpReceiver;
  private readonly http: OtlpHttp;
  private readonly grpc: OtlpGrpc | undefined;
  private bound: BoundServer | undefined;

  constructor(
    @inject(OPTIONS) private readonly opts: OtlpOptions,
    @inject(LOGGER) log: Logger,
    @inject(METRICS) metrics: Metrics,
    @inject(HTTP_SERVERS) private readonly servers: HttpServers,
    @inject(DELIVERY) delivery: Delivery,
  ) {
    this.receiver = new OtlpReceiver(opts, delivery, metrics);
    this.http = new OtlpHttp(opts, this.receiver, metrics, log);
    this.grpc = opts.grpcAddress === undefined ? undefined : new OtlpGrpc(opts, this.receiver, this.http, log);
  }

  async start(): Promise<void> {
    const problems = [this.addressProblem("address", this.opts.address), this.addressProblem("grpcAddress", this.opts.grpcAddress)].filter((p) => p !== undefined);
    if (problems.length > 0) throw new PluginProblems(problems);
    const bound = await this.servers.server(this.opts.address, this.opts.tls ? { tls: this.opts.tls } : {});
    this.bound = bound;
    void bound.app.register(async (scope) => this.http.routes(scope));
    if (this.grpc) await this.grpc.start(this.opts.grpcAddress!);
  }

  events(): Observable<LiveEventInput> {
    return new Observable<LiveEventInput>((subscriber) => this.receiver.attach(subscriber));
  }

  /** Answers 503 (gRPC UNAVAILABLE) to new exports and completes. */
  drain(): void {
    this.receiver.drain();
  }

  async stop(): Promise<void> {
    await this.grpc?.stop();
  }

  /** The OTLP/HTTP base URL once listening (`http://127.0.0.1:4318`); exporters append /v1/<signal>. */
  url(): string | undefined {
    return this.bound?.url();
  }

  /** The OTLP/gRPC `host:port` once bound (port 0 resolved). */
  grpcAddress(): string | undefined {
    return this.opts.grpcAddress === undefined ? undefined : this.grpc?.boundAddress(this.opts.grpcAddress);
  }

  private addressProblem(path: string, address: string | undefined): { path: string[]; message: string } | undefined {
    if (address === undefined) return undefined;
    const hp = parseAddress(address);
    if (typeof hp === "string") return { path: [path], message: hp };
    if (this.opts.auth !== undefined || isLoopback(hp.host)) return undefined;
    return {
      path: [path],
      message: `"${address}" is not a loopback address, so exports need credentials: set auth.bearer, or "auth": "none" to accept unauthenticated exports from anyone who can reach it`,
    };
  }
}
