/**
 * The process's metrics: counters, gauges and histograms by dotted id, as streamed by the
 * SSE sink's metrics endpoint and exposed at /metrics (CONTRACT 4). Plain numbers behind small
 * objects: a counter increment on the event hot path is one addition.
 */
export type MetricType = "counter" | "gauge" | "histogram";

export type MetricSample =
  | { id: string; type: "counter" | "gauge"; value: number }
  | { id: string; type: "histogram"; count: number; sum: number };

export interface Counter {
  readonly id: string;
  inc(n?: number): void;
  readonly value: number;
}
export interface Gauge {
  readonly id: string;
  set(value: number): void;
  readonly value: number;
}
export interface Histogram {
  readonly id: string;
  observe(value: number): void;
  /**
   * Adds `count` observations aggregated elsewhere (an OTLP histogram point), summing to
   * `sum`. `bucketCounts` counted against this histogram's bounds (one per bound, then +Inf)
   * go to their buckets; absent or of another length, all count in +Inf (their values are
   * unknown). Ignored unless `count` is positive and `sum` finite.
   */
  merge(count: number, sum: number, bucketCounts?: readonly number[]): void;
  readonly count: number;
  readonly sum: number;
  /** Upper bounds (inclusive), ascending; the +Inf bucket is implicit. */
  readonly bounds: readonly number[];
  /** Per-bound counts, not cumulative; the last entry is the +Inf bucket. */
  readonly bucketCounts: readonly number[];
}

export interface MetricInfo {
  id: string;
  type: MetricType;
  help: string;
}

/** Milliseconds, for latencies from sub-ms to 10 s. */
export const LATENCY_BUCKETS_MS = [0.5, 1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000] as const;

const METRIC_ID = /^[a-z0-9]+(?:[._-][a-z0-9]+)*$/;
/** Lowercase words joined by dots, dashes or underscores (`sse.batch-size`). */
export function isMetricId(id: string): boolean {
  return id.length <= 200 && METRIC_ID.test(id);
}

class CounterImpl implements Counter {
  value = 0;
  constructor(readonly id: string) {}
  inc(n = 1): void {
    this.value += n;
  }
}

class GaugeImpl implements Gauge {
  private current = 0;
  constructor(
    readonly id: string,
    private readonly read?: () => number,
  ) {}
  set(value: number): void {
    this.current = value;
  }
  get value(): number {
    return this.read ? this.read() : this.current;
  }
}

class HistogramImpl implements Histogram {
  count = 0;
  sum = 0;
  readonly bucketCounts: number[];
  constructor(
    readonly id: string,
    readonly bounds: readonly number[],
  ) {
    this.bucketCounts = new Array(bounds.length + 1).fill(0);
  }
  observe(value: number): void {
    if (!Number.isFinite(value)) return;
    this.count++;
    this.sum += value;
    let i = 0;
    while (i < this.bounds.length && value > this.bounds[i]) i++;
    this.bucketCounts[i]++;
  }
  merge(count: number, sum: number, bucketCounts?: readonly number[]): void {
    if (!(count > 0) || !Number.isFinite(sum)) return;
    this.count += count;
    this.sum += sum;
    const n = this.bucketCounts.length;
    if (bucketCounts?.length === n) for (let i = 0; i < n; i++) this.bucketCounts[i] += bucketCounts[i];
    else this.bucketCounts[n - 1] += count;
  }
}

type AnyMetric = CounterImpl | GaugeImpl | HistogramImpl;

export class MetricsRegistry {
  private readonly metrics = new Map<string, { info: MetricInfo; metric: AnyMetric }>();
  /** Per-event-type counters, kept apart so a hostile input cannot grow the map without bound. */
  private readonly typeCounters = new Map<string, Counter>();

  constructor(private readonly maxEventTypes = 10_000) {}

  /** Get or create a counter (cumulative since start). */
  counter(id: string, help = ""): Counter {
    return this.getOrCreate(id, "counter", help, () => new CounterImpl(id)) as Counter;
  }

  /** Get or create a gauge; with `read`, its value is read at snapshot time. */
  gauge(id: string, help = "", read?: () => number): Gauge {
    return this.getOrCreate(id, "gauge", help, () => new GaugeImpl(id, read)) as Gauge;
  }

  histogram(id: string, help = "", bounds: readonly number[] = LATENCY_BUCKETS_MS): Histogram {
    return this.getOrCreate(id, "histogram", help, () => new HistogramImpl(id, [...bounds].sort((a, b) => a - b))) as Histogram;
  }

  /**
   * The counter named after an event type ("Every event type seen is a counter with its type
   * as id"). Past `maxEventTypes` distinct types, new ones are counted in `events.other-types`.
   */
  eventTypeCounter(type: string): Counter {
    let c = this.typeCounters.get(type);
    if (c) return c;
    const existing = this.metrics.get(type);
    if (existing && existing.info.type === "counter") c = existing.metric as Counter;
    else if (existing || this.typeCounters.size >= this.maxEventTypes || !isMetricId(type)) {
      c = this.counter("events.other-types", "Events whose type could not get a counter of its own");
    } else c = this.counter(type, `Events of type ${type}`);
    this.typeCounters.set(type, c);
    return c;
  }

  /** The counter `id` when it exists, without creating it (a reader must not add metrics). */
  existingCounter(id: string): Counter | undefined {
    const found = this.metrics.get(id);
    return found?.info.type === "counter" ? (found.metric as Counter) : undefined;
  }

  /** Every metric's current value, ordered by id. */
  snapshot(select: (id: string) => boolean = () => true): MetricSample[] {
    const out: MetricSample[] = [];
    for (const { info, metric } of this.metrics.values()) {
      if (!select(info.id)) continue;
      if (metric instanceof HistogramImpl) out.push({ id: info.id, type: "histogram", count: metric.count, sum: metric.sum });
      else out.push({ id: info.id, type: info.type as "counter" | "gauge", value: metric.value });
    }
    return out.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  /** Metadata and live objects, for exposition formats (Prometheus). */
  list(): { info: MetricInfo; metric: Counter | Gauge | Histogram }[] {
    return [...this.metrics.values()].sort((a, b) => (a.info.id < b.info.id ? -1 : 1));
  }

  private getOrCreate(id: string, type: MetricType, help: string, create: () => AnyMetric): AnyMetric {
    const found = this.metrics.get(id);
    if (found) {
      if (found.info.type !== type) throw new Error(`metric "${id}" is a ${found.info.type}, not a ${type}`);
      if (!found.info.help && help) found.info.help = help;
      return found.metric;
    }
    if (!isMetricId(id)) throw new Error(`metric id "${id}" must be lowercase words joined by dots or dashes`);
    const metric = create();
    this.metrics.set(id, { info: { id, type, help }, metric });
    return metric;
  }
}

/** The built-in process metrics of CONTRACT 4 that do not come from events. */
export function registerProcessMetrics(registry: MetricsRegistry, nowMs: () => number): void {
  const started = nowMs();
  registry.gauge("server.memory", "Resident set size of the process, bytes", () => process.memoryUsage.rss());
  registry.gauge("server.uptime", "Seconds since the process started its pipeline", () => Math.round((nowMs() - started) / 1000));
  registry.counter("events.received", "Events received from all sources");
  registry.counter("events.dropped", "Events dropped by operators or full buffers");
  registry.histogram("event.latency", "Milliseconds from receipt by a source to hand-off to a sink", LATENCY_BUCKETS_MS);
}
