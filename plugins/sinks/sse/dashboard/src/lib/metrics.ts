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
      // A series known only from history has no live sample to take a difference from yet.
      if ((rebase || s.lastTime === -Infinity) && sample.type !== "gauge") {
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

  /**
   * Adds the server's metrics history (`GET /api/telemetry/metrics?after=`, CONTRACT 11), in
   * front of what the live stream already charted. History samples are per round: counters and
   * histograms what was added during the round (charted as a rate over the round, and as the
   * round's mean), gauges their value. Returns the ids seen for the first time.
   */
  ingestHistory(samples: unknown): string[] {
    const added: string[] = [];
    if (!Array.isArray(samples)) return added;
    const points = new Map<string, { kind: MetricKind; t: number; sample: MetricSample }[]>();
    const times = new Set<number>();
    for (const raw of samples) {
      const sample = asSample(raw);
      const t = Date.parse((raw as { timestamp?: unknown }).timestamp as string) / 1000;
      if (!sample || !Number.isFinite(t)) continue;
      times.add(t);
      let list = points.get(sample.id);
      if (!list) points.set(sample.id, (list = []));
      list.push({ kind: sample.type, t, sample });
    }
    const step = roundStep([...times]);
    for (const [id, list] of points) {
      list.sort((a, b) => a.t - b.t);
      let s = this.series.get(id);
      if (s && s.kind !== list[0].kind) continue;
      if (!s) {
        if (this.series.size >= this.maxSeries) continue;
        // `last` is replaced by the live stream's first frame (a rebase) before any difference.
        s = { id, kind: list[0].kind, times: [], values: [], last: list[0].sample, lastTime: -Infinity };
        this.series.set(id, s);
        added.push(id);
      }
      const first = s.times.length > 0 ? s.times[0] : Infinity;
      const older = list.filter((p) => p.kind === s.kind && p.t < first);
      s.times.unshift(...older.map((p) => p.t));
      s.values.unshift(...older.map((p) => historyPoint(p.sample, step)));
      const extra = s.times.length - this.maxPoints;
      if (extra > 0) {
        s.times.splice(0, extra);
        s.values.splice(0, extra);
      }
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

/** One history round's chart value; `step` the seconds of a round. */
function historyPoint(sample: MetricSample, step: number): number | null {
  if (sample.type === "histogram") return sample.count > 0 ? sample.sum / sample.count : null;
  return sample.type === "counter" ? sample.value / step : sample.value;
}

/** Seconds between rounds: the smallest gap between distinct timestamps (60, Stalwart's and livetap's default, when unknown). */
function roundStep(times: number[]): number {
  times.sort((a, b) => a - b);
  let step = Infinity;
  for (let i = 1; i < times.length; i++) step = Math.min(step, times[i] - times[i - 1]);
  return Number.isFinite(step) && step > 0 ? step : 60;
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
