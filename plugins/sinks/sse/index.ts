import type { ServerResponse } from "node:http";
import type { Observable, SchedulerLike, Subscription } from "rxjs";
import {
  defineSink,
  HISTORY,
  HTTP_SERVERS,
  inject,
  injectable,
  LOGGER,
  METRICS,
  OPTIONS,
  PIPELINE,
  PluginProblems,
  SCHEDULER,
  TAPS,
  type BoundServer,
  type History,
  type ComponentTaps,
  type PipelineView,
  type HttpServers,
  type LiveEvent,
  type Logger,
  type Metrics,
  type Sink,
} from "../../../core/index.js";
import { isLoopback, parseAddress, type FilterError, type Matcher } from "../../../core/kit.js";
import { StreamAuth } from "./auth.js";
import { MetricsHistory } from "./metrics-history.js";
import { toStalwartEvent } from "./stalwart/event.js";
import { compileStalwartFilter } from "./stalwart/filter.js";
import { StalwartLogin } from "./stalwart/login.js";
import { toStalwartMetrics } from "./stalwart/metrics.js";
import { TraceClient, type TraceStats } from "./client.js";
import { ClientSet } from "./client-set.js";
import { SseConnection } from "./connection.js";
import { pingFrame } from "./frames.js";
import { TraceHub } from "./hub.js";
import { scopeSelection } from "./scope.js";
import { selection } from "./selection.js";
import type { TopQuery, TracesQuery } from "./stream-query.js";
import { TopClient } from "./top-client.js";
import { MetricsClient, type MetricsQuery } from "./metrics-stream.js";
import { SseOptions } from "./options.js";
import { PrometheusExporter } from "./prometheus.js";
import { PATHS } from "./paths.js";
import { sseRoutes } from "./routes.js";
import { hashPasswordCommand } from "./cli/hash-password.js";
import { tapCommand } from "./cli/tap.js";
import { topCommand } from "./cli/top.js";

/** `sse.batch-size` buckets: events per `trace` frame, 1 to the largest sensible batchMaxEvents. */
const BATCH_SIZE_BUCKETS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000];

/**
 * Serves the pipeline's events and the process metrics over SSE (CONTRACT 4), plus /metrics,
 * /healthz and the dashboard page, on the sink's address.
 */
@injectable()
export class SseSink implements Sink {
  private readonly hub: TraceHub;
  private readonly clients: ClientSet;
  private readonly auth: StreamAuth;
  private readonly exporter: PrometheusExporter;
  private readonly stats: TraceStats;
  private readonly history: MetricsHistory;
  private readonly login: StalwartLogin | undefined;
  private bound: BoundServer | undefined;
  private input: Subscription | undefined;
  private endConsume: (() => void) | undefined;
  private stopped = false;
  /** Hubs of the components tapped right now (`outputs-of`), each with its tap subscription. */
  private readonly tapHubs = new Map<string, { hub: TraceHub; input: Subscription }>();
  private readonly tapComponents: boolean;

  constructor(
    @inject(OPTIONS) private readonly opts: SseOptions,
    @inject(HTTP_SERVERS) private readonly http: HttpServers,
    @inject(METRICS) private readonly metrics: Metrics,
    @inject(SCHEDULER) private readonly scheduler: SchedulerLike,
    @inject(LOGGER) private readonly log: Logger,
    @inject(HISTORY) history: History,
    @inject(TAPS) private readonly taps: ComponentTaps,
    @inject(PIPELINE) private readonly pipelineView: PipelineView,
  ) {
    const hp = parseAddress(opts.address);
    this.tapComponents = opts.tapComponents ?? (typeof hp !== "string" && isLoopback(hp.host));
    this.auth = new StreamAuth(
      opts.auth,
      () => scheduler.now(),
      {
        counter: metrics.counter("sse.auth-failures", "Requests refused for wrong credentials (a request without any is not counted)"),
        log,
      },
      history.storedAt ? (id) => history.storedAt!(id) : undefined,
    );
    this.hub = new TraceHub(opts, scheduler, log, history);
    this.clients = new ClientSet(opts, scheduler, metrics.gauge("sse.clients", "Open SSE streams (events and metrics)"));
    this.exporter = new PrometheusExporter(metrics);
    this.history = new MetricsHistory(opts, metrics, scheduler);
    if (opts.compat === "stalwart") this.login = new StalwartLogin(opts.loginTokenSeconds, () => scheduler.now(), opts.auth?.tokenKey);
    this.stats = {
      dropped: metrics.counter("sse.dropped", "Events dropped from slow SSE clients' full queues (counted per client)"),
      sent: metrics.counter("sse.events-sent", "Events written to SSE clients (counted per client)"),
      batchSize: metrics.histogram("sse.batch-size", "Events per SSE trace frame", BATCH_SIZE_BUCKETS),
    };
  }

  async start(): Promise<void> {
    const hp = parseAddress(this.opts.address);
    if (typeof hp === "string") throw new PluginProblems([{ path: ["address"], message: hp }]);
    if (!this.opts.auth && !isLoopback(hp.host)) {
      throw new PluginProblems([
        { path: ["address"], message: `${this.opts.address} is not a loopback address: set "auth" (bearer tokens or basic users) to serve streams on it` },
      ]);
    }
    this.bound = await this.http.server(this.opts.address, { tls: this.opts.tls });
    if (this.bound.app.hasRoute({ method: "GET", url: PATHS.traces })) throw this.addressTaken();
    try {
      await this.bound.app.register(
        sseRoutes({
          auth: this.auth,
          exporter: this.exporter,
          defaultMetricsIntervalSeconds: this.opts.defaultMetricsIntervalSeconds,
          unavailable: () => this.unavailable(),
          checkTap: (query) => this.checkTap(query),
          openTraces: (res, query, lastEventId, scope) => this.openTraces(res, query, lastEventId, scope),
          openTop: (res, query, scope) => this.openTop(res, query, scope),
          pipeline: () => this.pipelineView.components(),
          tappable: () => (this.tapComponents ? this.taps.names() : []),
          now: () => this.scheduler.now(),
          openMetrics: (res, query) => this.openMetrics(res, query),
          closing: () => void this.stop(),
          history: { samples: this.history, shape: (s) => (this.login ? toStalwartMetrics(s) : s) },
          cors: this.opts.cors,
          compat: this.login && { login: this.login, traceFilter: (params) => this.stalwartFilter(params) },
        }),
      );
    } catch (err) {
      if ((err as { code?: string }).code === "FST_ERR_DUPLICATED_ROUTE") throw this.addressTaken();
      throw err;
    }
    if (this.opts.metricsHistorySeconds > 0) this.history.start();
  }

  /** The base URL once the pipeline listens (port 0 resolved). */
  url(): string | undefined {
    return this.bound?.url();
  }

  consume(events: Observable<LiveEvent>): Promise<void> {
    if (this.stopped) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      this.endConsume = resolve;
      this.input = events.subscribe({
        next: (e) => this.hub.publish(this.shaped(e)),
        // The input is over either way: what clients have queued still goes out.
        error: (err) => void this.hub.settle().then(() => reject(err)),
        complete: () => void this.hub.settle().then(() => resolve()),
      });
    });
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.input?.unsubscribe();
    this.history.stop();
    this.clients.finishAll(); // each flushes its queue, then ends its response
    this.hub.close();
    for (const path of this.tapHubs.keys()) this.releaseTap(path, true); // deleting the visited key is safe
    this.endConsume?.();
  }

  /** What clients see of an event, from the input or a tap alike: in compat mode, WebAdmin's shape. */
  private shaped(e: LiveEvent): LiveEvent {
    return this.login ? toStalwartEvent(e) : e;
  }

  private addressTaken(): PluginProblems {
    return new PluginProblems([
      { path: ["address"], message: `${this.opts.address} already serves the live endpoints of another sse sink: give each sink its own address` },
    ]);
  }

  /** Stalwart's filters (their span following is the selection's, see followField). */
  private stalwartFilter(params: URLSearchParams): Matcher {
    return compileStalwartFilter(params);
  }

  private unavailable(): string | undefined {
    if (this.stopped) return "the server is shutting down";
    if (this.clients.full) return `all ${this.opts.maxClients} stream slots (maxClients) are in use; retry later`;
    return undefined;
  }

  private checkTap(query: TracesQuery): FilterError | undefined {
    if (query.outputsOf === undefined) return undefined;
    if (!this.tapComponents) {
      return { error: "invalid parameter outputs-of", details: "tapping components is off on this sink (option tapComponents; default on loopback addresses only)" };
    }
    if (this.taps.resolve(query.outputsOf) !== undefined) return undefined;
    const known = this.taps.names();
    return {
      error: "invalid parameter outputs-of",
      details: `no component ${JSON.stringify(query.outputsOf.slice(0, 100))} to tap; known: ${known.length > 0 ? known.join(", ") : "none"}`,
    };
  }

  /** The field a traces request follows: its own `follow=`, else the sink's, else in compat mode Stalwart's `spanId`. */
  private followField(query: TracesQuery): string | undefined {
    return query.follow ?? this.opts.follow ?? (this.opts.compat === "stalwart" ? "spanId" : undefined);
  }

  /** The client's selection: its filters, the credential's scope, and following `field` (CONTRACT 9). */
  private selectionOf(query: TracesQuery, scope: readonly string[] | undefined, field: string | undefined) {
    return selection(
      {
        filter: query.filter,
        scope: scopeSelection(scope),
        follow: field === undefined ? undefined : { field, maxFollowed: this.opts.maxFollowed, followMs: this.opts.followSeconds * 1000 },
      },
      () => this.scheduler.now(),
    );
  }

  private openTraces(res: ServerResponse, query: TracesQuery, lastEventId: string | undefined, scope: readonly string[] | undefined): void {
    const now = this.scheduler.now();
    const tapped = query.outputsOf === undefined ? undefined : this.taps.resolve(query.outputsOf);
    const hub = tapped === undefined ? this.hub : this.tapHub(tapped);
    const connection = new SseConnection(res, this.opts.stallTimeoutMs);
    const client = new TraceClient(
      connection,
      this.selectionOf(query, scope, this.followField(query)),
      { bufferEvents: this.opts.clientBufferEvents, bufferBytes: this.opts.clientBufferBytes, batchMaxEvents: this.opts.batchMaxEvents, pingIntervalMs: this.opts.pingIntervalMs },
      this.stats,
      hub.hooks,
      () => this.scheduler.now(),
    );
    const opened = connection.open(
      {
        onDrain: () => client.onDrain(),
        onClose: () => {
          client.onClose();
          this.clients.delete(client);
          if (tapped !== undefined) this.releaseTap(tapped);
        },
      },
      pingFrame(this.opts.pingIntervalMs),
      now,
    );
    if (!opened) {
      if (tapped !== undefined) this.releaseTap(tapped);
      return;
    }
    this.clients.add(client);
    // A tap has no ring: it shows what passes from now on.
    void hub.attach(client, tapped === undefined ? { lastEventId, sinceMs: query.sinceMs } : {}, now);
    this.log.debug({ filter: query.filter.conditions, lastEventId, since: query.sinceMs, outputsOf: tapped, clients: this.clients.size }, "traces stream opened");
  }

  private openTop(res: ServerResponse, query: TopQuery, scope: readonly string[] | undefined): void {
    const tapped = query.outputsOf === undefined ? undefined : this.taps.resolve(query.outputsOf);
    const connection = new SseConnection(res, this.opts.stallTimeoutMs);
    const client = new TopClient(connection, this.selectionOf(query, scope, undefined), query, this.opts.maxTopKeys, this.scheduler, this.opts.pingIntervalMs);
    let unwatch: (() => void) | undefined;
    const opened = connection.open(
      {
        onDrain: () => undefined, // the next frame comes at the next interval anyway
        onClose: () => {
          client.stop();
          unwatch?.();
          this.clients.delete(client);
        },
      },
      pingFrame(this.opts.pingIntervalMs),
      this.scheduler.now(),
    );
    if (!opened) return;
    if (tapped === undefined) unwatch = this.hub.watch((e) => client.observe(e));
    else {
      const sub = this.taps.tap(tapped).subscribe((e) => client.observe(this.shaped(e)));
      unwatch = () => sub.unsubscribe();
    }
    this.clients.add(client);
    client.start();
    this.log.debug({ by: query.by, outputsOf: tapped, clients: this.clients.size }, "top stream opened");
  }

  /** The hub of a tapped component, subscribed to its output while some client taps it. */
  private tapHub(path: string): TraceHub {
    let entry = this.tapHubs.get(path);
    if (!entry) {
      // No replay: a tap shows what passes from now on (the ring holds the sink's input only).
      const hub = new TraceHub({ batchWindowMs: this.opts.batchWindowMs, replayEvents: 0 }, this.scheduler, this.log);
      entry = { hub, input: this.taps.tap(path).subscribe((e) => hub.publish(this.shaped(e))) };
      this.tapHubs.set(path, entry);
    }
    return entry.hub;
  }

  /** After a tapping client left: when it was the last, the tap is closed (the component pays nothing again). */
  private releaseTap(path: string, force = false): void {
    const entry = this.tapHubs.get(path);
    if (!entry || (!force && entry.hub.size > 0)) return;
    entry.input.unsubscribe();
    entry.hub.close();
    this.tapHubs.delete(path);
  }

  private openMetrics(res: ServerResponse, query: MetricsQuery): void {
    const connection = new SseConnection(res, this.opts.stallTimeoutMs);
    const client = new MetricsClient(connection, query, this.metrics, this.scheduler, this.login ? toStalwartMetrics : undefined);
    const opened = connection.open(
      {
        onDrain: () => undefined, // the next frame comes at the next interval anyway
        onClose: () => {
          client.stop();
          this.clients.delete(client);
        },
      },
      client.frame(),
      this.scheduler.now(),
    );
    if (!opened) return;
    this.clients.add(client);
    client.start();
    this.log.debug({ intervalMs: query.intervalMs, clients: this.clients.size }, "metrics stream opened");
  }
}

export default defineSink({
  type: "sse",
  description: "Serves events and metrics live over Server-Sent Events (Stalwart's live-telemetry API), with /metrics for Prometheus.",
  options: SseOptions,
  plugin: SseSink,
  example: { address: "127.0.0.1:8080" },
  commands: [tapCommand(), topCommand(), hashPasswordCommand()],
});
