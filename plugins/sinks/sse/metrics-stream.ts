import type { SchedulerLike, Subscription } from "rxjs";
import type { MetricSample, Metrics } from "../../../core/index.js";
import type { StreamClient } from "./client-set.js";
import type { SseConnection } from "./connection.js";
import { sendPeriodically } from "./periodic.js";
import { metricsFrame } from "./frames.js";

/** Longest interval honoured: beyond it timers would overflow, and nobody waits a day for a frame. */
export const MAX_INTERVAL_SECONDS = 86_400;

export interface MetricsQuery {
  select: (id: string) => boolean;
  intervalMs: number;
}

const NUMBER = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

/**
 * `metrics=a,b*` and `interval=N` (CONTRACT 4). The last of a repeated parameter wins and an
 * empty one counts as absent; unknown ids simply select nothing; an interval below 1 s is
 * raised to 1 s; a non-numeric one is an error.
 */
export function parseMetricsQuery(params: URLSearchParams, defaultIntervalSeconds: number): MetricsQuery | { error: string; details: string } {
  const last = (name: string) => {
    const all = params.getAll(name);
    const v = all[all.length - 1];
    return v === undefined || v === "" ? undefined : v;
  };
  let seconds = defaultIntervalSeconds;
  const interval = last("interval");
  if (interval !== undefined) {
    const n = NUMBER.test(interval.trim()) ? Number(interval) : NaN;
    if (!Number.isFinite(n)) {
      return { error: "invalid parameter", details: `interval "${interval.slice(0, 40)}" is not a number of seconds (e.g. "interval=5" or "interval=0.5")` };
    }
    seconds = Math.min(Math.max(n, 1), MAX_INTERVAL_SECONDS);
  }
  return { select: metricSelector(last("metrics")), intervalMs: Math.round(seconds * 1000) };
}

/** `a,b,c.*`: exact ids, or prefixes when ending in `*`; absent or empty: every metric. */
export function metricSelector(list: string | undefined): (id: string) => boolean {
  const exact = new Set<string>();
  const prefixes: string[] = [];
  for (const raw of (list ?? "").split(",")) {
    const id = raw.trim();
    if (id === "") continue;
    if (id.endsWith("*")) prefixes.push(id.slice(0, -1));
    else exact.add(id);
  }
  if (exact.size === 0 && prefixes.length === 0) return () => true;
  return (id) => exact.has(id) || prefixes.some((p) => id.startsWith(p));
}

/** One metrics-stream client: a snapshot at once, then one every interval. */
export class MetricsClient implements StreamClient {
  private action: Subscription | undefined;

  constructor(
    readonly connection: SseConnection,
    private readonly query: MetricsQuery,
    private readonly metrics: Metrics,
    private readonly scheduler: SchedulerLike,
    /** Reshapes the samples (the compat mode's whole numbers); default as they are. */
    private readonly shape: (samples: MetricSample[]) => MetricSample[] = (s) => s,
  ) {}

  /** A frame of the selected metrics' current values (the first one goes out with the headers). */
  frame(): string {
    return metricsFrame(this.shape(this.metrics.snapshot(this.query.select)));
  }

  /** Starts the periodic frames (after the connection opened). */
  start(): void {
    this.action = sendPeriodically(this.scheduler, this.query.intervalMs, () => this.send());
  }

  tick(now: number): void {
    this.connection.checkStall(now);
  }

  finish(): void {
    this.stop();
    this.connection.end();
  }

  /** The connection closed. */
  stop(): void {
    this.action?.unsubscribe();
    this.action = undefined;
  }

  private send(): void {
    // Values are cumulative: a frame skipped while the socket is full loses nothing.
    if (this.connection.writable) this.connection.write(this.frame(), this.scheduler.now());
  }
}
