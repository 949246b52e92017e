import type { Subscriber } from "rxjs";
import type { Counter, Delivery, LiveEventInput, Metrics, Settlement } from "../../../core/index.js";
import { decodeJson, decodeProtobuf, type Encoding } from "./decode.js";
import { OtlpMetrics, type MetricsRequest } from "./metrics.js";
import type { OtlpOptions } from "./options.js";
import { mapLogs, mapTraces, type LogsRequest, type TracesRequest } from "./records.js";
import { OtlpSchema, type Signal } from "./schema.js";
import { IsoTimes, KeyNames, type MapContext } from "./values.js";

/** What became of one export request; HTTP and gRPC each say it their way. */
export type Outcome =
  /** Taken (all but `rejected` records, which the response's partialSuccess reports). */
  | { kind: "ok"; rejected: number; errorMessage: string | undefined }
  /** Malformed: nothing of it was ingested. */
  | { kind: "bad"; details: string }
  /** Over maxPendingEvents: retry later. */
  | { kind: "full"; details: string }
  /** Not taking exports now (not yet subscribed, draining, or a sink failed the batch): retry later. */
  | { kind: "unavailable"; details: string };

const PARTIAL_FIELDS: Record<Signal, string> = { logs: "rejectedLogRecords", traces: "rejectedSpans", metrics: "rejectedDataPoints" };

/**
 * The transport-independent half of the receiver: decodes a request body, maps it (CONTRACT
 * 10), hands the events to the pipeline as one tracked batch, and resolves once the batch is
 * settled, so an exporter's success means the sinks have its records (OTLP's "the server
 * received and processed the data").
 */
export class OtlpReceiver {
  readonly schema = new OtlpSchema();
  private readonly subscribers = new Set<Subscriber<LiveEventInput>>();
  private readonly limits: MapContext;
  private readonly metricsSink: OtlpMetrics;
  private readonly counted: Record<Signal, Counter>;
  private readonly refused: Counter;
  private draining = false;

  constructor(
    private readonly opts: OtlpOptions,
    private readonly delivery: Delivery,
    metrics: Metrics,
  ) {
    this.limits = { maxDepth: opts.maxValueDepth, maxBytes: opts.maxRecordBytes, names: new KeyNames(), times: new IsoTimes() };
    this.metricsSink = new OtlpMetrics(metrics, opts);
    this.counted = {
      logs: metrics.counter("otlp.log-records", "Log records taken by otlp sources"),
      traces: metrics.counter("otlp.spans", "Spans taken by otlp sources (each with its span events)"),
      metrics: metrics.counter("otlp.data-points", "Metric data points taken by otlp sources"),
    };
    this.refused = metrics.counter("otlp.refused-records", "Records and data points refused in a partialSuccess (over maxValueDepth, maxRecordBytes or maxSeries)");
  }

  get isFull(): boolean {
    return this.delivery.full;
  }

  get isDraining(): boolean {
    return this.draining;
  }

  attach(s: Subscriber<LiveEventInput>): () => void {
    this.subscribers.add(s);
    if (this.draining) s.complete();
    return () => this.subscribers.delete(s);
  }

  /** Takes no more exports; everything taken was emitted synchronously, so the stream can end now. */
  drain(): void {
    this.draining = true;
    for (const s of this.subscribers) s.complete();
  }

  fullDetails(): string {
    return `${this.delivery.pending} events are not yet through the pipeline, at maxPendingEvents (${this.opts.maxPendingEvents}): retry later`;
  }

  async receive(signal: Signal, encoding: Encoding, body: Buffer): Promise<Outcome> {
    if (this.draining) return { kind: "unavailable", details: "the source is shutting down and takes no more exports" };
    // Checked again after the body arrived (for gRPC, here only); metrics make no events.
    if (signal !== "metrics" && this.delivery.full) return { kind: "full", details: this.fullDetails() };
    const type = this.schema.signals[signal].request;
    const decoded = encoding === "protobuf" ? decodeProtobuf(type, body) : decodeJson(type, signal, body);
    if (!decoded.ok) return { kind: "bad", details: decoded.details };
    if (signal === "metrics") {
      const applied = this.metricsSink.apply(decoded.message as MetricsRequest);
      this.counted.metrics.inc(applied.points);
      return this.ok(applied.rejected, applied.firstError);
    }
    let mapped;
    try {
      mapped = signal === "logs" ? mapLogs(decoded.message as LogsRequest, this.limits) : mapTraces(decoded.message as TracesRequest, this.limits);
    } catch (err) {
      // A message that decoded but cannot be mapped (a stack overflow on absurd nesting): malformed.
      return { kind: "bad", details: `the ${type.name} cannot be read: ${(err as Error).message.slice(0, 200)}` };
    }
    const { events } = mapped;
    if (events.length > 0) {
      if (this.subscribers.size === 0) return { kind: "unavailable", details: "the pipeline is not running yet: retry shortly" };
      const settled = await this.emit(events);
      if (settled.failed > 0) return { kind: "unavailable", details: `a sink could not take ${settled.failed} of the ${settled.events} events: retry later` };
    }
    this.counted[signal].inc(signal === "traces" ? events.filter((e) => e.type === "otel.span").length : events.length);
    return this.ok(mapped.rejected, mapped.firstError);
  }

  /** The Export*ServiceResponse fields of an outcome: `partialSuccess` only when something was refused. */
  responseObject(signal: Signal, outcome: Outcome & { kind: "ok" }): Record<string, unknown> {
    if (outcome.rejected === 0) return {};
    return { partialSuccess: { [PARTIAL_FIELDS[signal]]: outcome.rejected, errorMessage: outcome.errorMessage ?? "" } };
  }

  private ok(rejected: number, errorMessage: string | undefined): Outcome {
    if (rejected > 0) this.refused.inc(rejected);
    return { kind: "ok", rejected, errorMessage };
  }

  private emit(events: LiveEventInput[]): Promise<Settlement> {
    return new Promise<Settlement>((resolve) => {
      const tracked = this.delivery.track(events, resolve);
      const targets = [...this.subscribers];
      for (const e of tracked) for (const s of targets) if (!s.closed) s.next(e);
    });
  }
}
