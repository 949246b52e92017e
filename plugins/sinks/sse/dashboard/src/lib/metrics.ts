/**
 * Metrics-stream frames (CONTRACT 4) turned into chartable series: counters are cumulative,
 * so they become rates (per second, between two frames); histograms become the mean of what
 * was observed between two frames; gauges are charted as they are.
 */

export type MetricSample =
  | { id: string; type: "counter" | "gauge"; value: number }
  | { id: string; type: "histogram"; count: number; sum: number };

export type MetricKind = MetricSample["type"];

/** Points kept per series: a few minutes at the usual intervals, cheap to redraw. */
export const MAX_POINTS = 300;
/** Series kept at most; a server with thousands of event types does not grow the page without bound. */
export const MAX_SERIES = 1000;

export interface Series {
  id: string;
  kind: MetricKind;
  /** Seconds (epoch), ascending; parallel to `values`. */
  times: number[];
  /** Rate, value or mean; null where there is none (first frame, a counter reset, no observations). */
  values: (number | null)[];
  /** The latest sample as received, for the next difference and for totals. */
  last: MetricSample;
  lastTime: number;
}

export class MetricStore {
  private readonly series = new Map<string, Series>();

  constructor(
    private readonly maxPoints = MAX_POINTS,
    private readonly maxSeries = MAX_SERIES,
  ) {}

  /**
   * Adds one frame received at `timeSec`. Returns the ids seen for the first time (for the
   * metric picker). Malformed samples are skipped.
   *
   * `intervalSec`: the stream's interval. The server sends a frame every interval exactly (or
   * skips some while the socket is full), but the browser receives them with jitter: the time
   * between two frames is taken as the nearest whole number of intervals, so a frame that
   * arrives late does not make a spike. `rebase`: the first frame of a new connection, which
   * is not an interval after the previous one: counters and histograms start over from it.
   */
  ingest(samples: unknown, timeSec: number, intervalSec?: number, rebase = false): string[] {
    const added: string[] = [];
    if (!Array.isArray(samples)) return added;
    for (const raw of samples) {
      const sample = asSample(raw);
      if (!sample) continue;
      let s = this.series.get(sample.id);
      if (s && s.kind !== sample.type) {
        this.series.delete(sample.id); // the id changed kind (another server behind the same URL)
        s = undefined;
      }
      if (!s) {
        if (this.series.size >= this.maxSeries) continue;
        s = { id: sample.id, kind: sample.type, times: [], values: [], last: sample, lastTime: timeSec };
        this.series.set(sample.id, s);
        added.push(sample.id);
        if (sample.type === "gauge") this.append(s, timeSec, sample.value);
        continue;
      }
      if (rebase && sample.type !== "gauge") {
        s.last = sample;
        s.lastTime = timeSec;
        continue;
      }
      if (timeSec <= s.lastTime) continue; // two frames in the same instant: no rate between them
      const measured = timeSec - s.lastTime;
      const seconds = intervalSec ? Math.max(1, Math.round(measured / intervalSec)) * intervalSec : measured;
      this.append(s, timeSec, pointBetween(s.last, sample, seconds));
      s.last = sample;
      s.lastTime = timeSec;
    }
    return added;
  }

  get(id: string): Series | undefined {
    return this.series.get(id);
  }

  /** Every id with its kind, sorted by id. */
  catalog(): { id: string; kind: MetricKind }[] {
    return [...this.series.values()].map((s) => ({ id: s.id, kind: s.kind })).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  get size(): number {
    return this.series.size;
  }

  private append(s: Series, time: number, value: number | null): void {
    s.times.push(time);
    s.values.push(value);
    if (s.times.length > this.maxPoints) {
      const extra = s.times.length - this.maxPoints;
      s.times.splice(0, extra);
      s.values.splice(0, extra);
    }
  }
}

/** The chart value between two consecutive samples of one metric, `seconds` apart. */
export function pointBetween(prev: MetricSample, next: MetricSample, seconds: number): number | null {
  if (next.type === "gauge") return next.value;
  if (next.type === "counter" && prev.type === "counter") {
    const delta = next.value - prev.value;
    return delta < 0 || seconds <= 0 ? null : delta / seconds; // below zero: the server restarted
  }
  if (next.type === "histogram" && prev.type === "histogram") {
    const count = next.count - prev.count;
    if (count <= 0) return null;
    return (next.sum - prev.sum) / count;
  }
  return null;
}

function asSample(raw: unknown): MetricSample | undefined {
  if (typeof raw !== "object" || raw === null) return undefined;
  const r = raw as Record<string, unknown>;
  if (typeof r.id !== "string" || r.id === "") return undefined;
  if ((r.type === "counter" || r.type === "gauge") && typeof r.value === "number" && Number.isFinite(r.value)) {
    return { id: r.id, type: r.type, value: r.value };
  }
  if (r.type === "histogram" && typeof r.count === "number" && typeof r.sum === "number" && Number.isFinite(r.count) && Number.isFinite(r.sum)) {
    return { id: r.id, type: "histogram", count: r.count, sum: r.sum };
  }
  return undefined;
}

/** Charted by default, when the server has them (CONTRACT 4 built-ins). */
export const DEFAULT_CHARTS = ["events.received", "event.latency", "sse.clients", "server.memory"];

/** What the chart of a metric shows, for its label. */
export function kindLabel(kind: MetricKind): string {
  return kind === "counter" ? "rate /s" : kind === "histogram" ? "mean" : "value";
}

/** Unit guessed from the id, for formatting. */
export function unitOf(id: string, kind: MetricKind): "bytes" | "ms" | "s" | "/s" | "" {
  if (kind === "counter") return "/s";
  if (/(^|[.-])(memory|bytes|rss|heap)([.-]|$)/.test(id)) return "bytes";
  if (/(^|[.-])(latency|ms|duration)([.-]|$)/.test(id)) return "ms";
  if (/(^|[.-])(uptime|seconds)([.-]|$)/.test(id)) return "s";
  return "";
}
