import type { Counter, Gauge, Histogram, Metrics } from "../../../core/index.js";
import { anyValueToJson, Budget, int64Number, type Int64, type KeyValue } from "./values.js";

/** The fields of metrics/v1 messages read here. */
interface NumberPoint {
  attributes?: KeyValue[];
  asDouble?: number;
  asInt?: Int64;
  value?: string;
  flags?: number;
}
interface HistogramPoint {
  attributes?: KeyValue[];
  count?: Int64;
  sum?: number;
  bucketCounts?: Int64[];
  explicitBounds?: number[];
  flags?: number;
}
interface Metric {
  name?: string;
  gauge?: { dataPoints?: NumberPoint[] } | null;
  sum?: { dataPoints?: NumberPoint[]; aggregationTemporality?: number; isMonotonic?: boolean } | null;
  histogram?: { dataPoints?: HistogramPoint[]; aggregationTemporality?: number } | null;
  exponentialHistogram?: { dataPoints?: HistogramPoint[]; aggregationTemporality?: number } | null;
  summary?: { dataPoints?: HistogramPoint[] } | null;
  data?: string;
}
export interface MetricsRequest {
  resourceMetrics?: { resource?: { attributes?: KeyValue[] } | null; scopeMetrics?: { metrics?: Metric[] }[] }[];
}

export interface MetricsOptions {
  metricPrefix: string;
  metricAttributes: string[];
  maxSeries: number;
}

export interface Applied {
  points: number;
  rejected: number;
  firstError: string | undefined;
}

const DELTA = 1;
const CUMULATIVE = 2;
/** DataPointFlags.FLAG_NO_RECORDED_VALUE: a point that only says "no value now". */
const NO_RECORDED_VALUE = 1;
/** Cumulative streams remembered per series: each is one number, and a stream forgotten only over-counts once. */
const STREAMS_PER_SERIES = 16;
const ATTRIBUTE_LIMITS = { maxDepth: 4, maxBytes: 4096 };

/** A metric name made a livetap metric id (CONTRACT 10): lowercase, dots kept, anything else `-`. */
export function metricId(name: string): string {
  return name
    .slice(0, 200)
    .toLowerCase()
    .replace(/[^a-z0-9.]+/g, "-")
    .replace(/-*\.+-*/g, ".")
    .replace(/^[.-]+|[.-]+$/g, "");
}

type Series = { kind: "counter"; m: Counter } | { kind: "gauge"; m: Gauge } | { kind: "histogram"; m: Histogram };

/**
 * CONTRACT 10 metrics: OTLP data points become the process's own metrics. Gauges are set to the
 * sum of their points in the request; monotonic sums feed counters (delta points added up,
 * cumulative points by their growth since the stream's last value); histograms add count, sum
 * and (with equal bounds) bucket counts. Non-monotonic sums are gauges. Exponential histograms
 * and summaries carry count and sum only. `maxSeries` bounds the ids this source creates.
 */
export class OtlpMetrics {
  private readonly series = new Map<string, Series>();
  /** id -> stream key (resource + point attributes) -> last cumulative [value or count, sum, ...bucket counts]. */
  private readonly lastCumulative = new Map<string, Map<string, number[]>>();

  constructor(
    private readonly registry: Metrics,
    private readonly opts: MetricsOptions,
  ) {}

  apply(req: MetricsRequest): Applied {
    let points = 0;
    let rejected = 0;
    let firstError: string | undefined;
    const rms = req.resourceMetrics ?? [];
    for (let r = 0; r < rms.length; r++) {
      const resourceKey = attributesKey(rms[r].resource?.attributes);
      const sms = rms[r].scopeMetrics ?? [];
      for (let s = 0; s < sms.length; s++) {
        const metrics = sms[s].metrics ?? [];
        for (let i = 0; i < metrics.length; i++) {
          const where = `resourceMetrics[${r}].scopeMetrics[${s}].metrics[${i}]`;
          const result = this.applyMetric(metrics[i], resourceKey);
          points += result.points;
          rejected += result.rejected;
          if (result.error !== undefined) firstError ??= `${where} (${JSON.stringify((metrics[i].name ?? "").slice(0, 100))}): ${result.error}`;
        }
      }
    }
    return { points, rejected, firstError };
  }

  private applyMetric(metric: Metric, resourceKey: string): { points: number; rejected: number; error?: string } {
    const base = metricId(metric.name ?? "");
    const kind = metric.data;
    const pts = (kind ? (metric[kind as keyof Metric] as { dataPoints?: (NumberPoint & HistogramPoint)[] } | null)?.dataPoints : undefined) ?? [];
    if (base === "") return { points: 0, rejected: pts.length, error: "the metric has no usable name" };
    const id = this.opts.metricPrefix + base;
    // Gauges: the points of this request, summed per series.
    const gaugeSums = new Map<string, number>();
    let points = 0;
    let rejected = 0;
    let error: string | undefined;
    for (const p of pts) {
      if ((p.flags ?? 0) & NO_RECORDED_VALUE) continue;
      const sid = this.seriesId(id, p.attributes);
      try {
        if (kind === "gauge" || (kind === "sum" && !metric.sum!.isMonotonic)) {
          this.get(sid, "gauge");
          gaugeSums.set(sid, (gaugeSums.get(sid) ?? 0) + numberValue(p));
        } else if (kind === "sum") {
          const counter = this.get(sid, "counter") as Counter;
          const v = numberValue(p);
          const added = metric.sum!.aggregationTemporality === CUMULATIVE ? this.growth(sid, streamKey(resourceKey, p.attributes), [v])[0] : v;
          if (added > 0) counter.inc(added);
        } else if (kind === "histogram" || kind === "exponentialHistogram" || kind === "summary") {
          const h = this.get(sid, "histogram", kind === "histogram" ? p.explicitBounds : []) as Histogram;
          const cumulative = kind === "summary" || (metric[kind]?.aggregationTemporality ?? DELTA) === CUMULATIVE;
          const buckets = kind === "histogram" && sameBounds(h.bounds, p.explicitBounds) ? (p.bucketCounts ?? []).map(int64Number) : [];
          let values = [int64Number(p.count), p.sum ?? 0, ...buckets];
          if (cumulative) values = this.growth(sid, streamKey(resourceKey, p.attributes), values);
          // Bounds that differ from the series' first ones: no buckets, the observations go to +Inf.
          h.merge(values[0], values[1], values.slice(2));
        } else {
          throw new Error(`data of kind ${JSON.stringify(kind ?? "none")} is not mapped`);
        }
        points++;
      } catch (err) {
        rejected++;
        error ??= (err as Error).message;
      }
    }
    for (const [sid, v] of gaugeSums) (this.series.get(sid)!.m as Gauge).set(v);
    return { points, rejected, error };
  }

  /** `queue.count` or, with `metricAttributes`, `queue.count.<value>...` (values made id words). */
  private seriesId(id: string, attrs: KeyValue[] | undefined): string {
    if (this.opts.metricAttributes.length === 0 || !attrs) return id;
    let sid = id;
    for (const key of this.opts.metricAttributes) {
      const kv = attrs.find((a) => a.key === key);
      if (!kv) continue;
      const raw = anyValueToJson(kv.value, 1, new Budget(ATTRIBUTE_LIMITS), key);
      const word = metricId(typeof raw === "string" ? raw : JSON.stringify(raw));
      if (word !== "") sid += `.${word}`;
    }
    return sid;
  }

  private get(sid: string, kind: Series["kind"], bounds?: number[]): Series["m"] {
    const found = this.series.get(sid);
    if (found) {
      if (found.kind !== kind) throw new Error(`${sid} is a ${found.kind} and cannot take ${kind} points`);
      return found.m;
    }
    if (this.series.size >= this.opts.maxSeries) throw new Error(`${sid} would go past maxSeries (${this.opts.maxSeries} series)`);
    // The registry throws when the id is taken by another type (livetap's own metrics included).
    const help = "From OTLP";
    const m =
      kind === "counter" ? this.registry.counter(sid, help) : kind === "gauge" ? this.registry.gauge(sid, help) : this.registry.histogram(sid, help, validBounds(bounds));
    this.series.set(sid, { kind, m } as Series);
    return m;
  }

  /** Growth of a cumulative stream since its last point; a drop means the sender restarted: all of it is new. */
  private growth(sid: string, stream: string, values: number[]): number[] {
    let streams = this.lastCumulative.get(sid);
    if (!streams) this.lastCumulative.set(sid, (streams = new Map()));
    const last = streams.get(stream);
    streams.delete(stream);
    if (streams.size >= STREAMS_PER_SERIES) streams.delete(streams.keys().next().value!);
    streams.set(stream, values);
    if (!last || values[0] < last[0] || last.length !== values.length) return values;
    return values.map((v, i) => v - last[i]);
  }
}

function numberValue(p: NumberPoint): number {
  return p.value === "asInt" ? int64Number(p.asInt) : (p.asDouble ?? 0);
}

function attributesKey(attrs: KeyValue[] | undefined): string {
  if (!attrs || attrs.length === 0) return "";
  try {
    return JSON.stringify(attrs.map((kv) => [kv.key, anyValueToJson(kv.value, 1, new Budget(ATTRIBUTE_LIMITS), "")]));
  } catch {
    return "";
  }
}

function streamKey(resourceKey: string, attrs: KeyValue[] | undefined): string {
  return `${resourceKey}\n${attributesKey(attrs)}`;
}

function validBounds(bounds: number[] | undefined): number[] {
  return (bounds ?? []).filter((b) => Number.isFinite(b)).slice(0, 100);
}

function sameBounds(a: readonly number[], b: number[] | undefined): boolean {
  return b !== undefined && a.length === b.length && a.every((x, i) => x === b[i]);
}
