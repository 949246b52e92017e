/**
 * Metrics history (CONTRACT 11 `GET /api/telemetry/metrics?after=`): every
 * `metricsHistoryIntervalSeconds` one round of samples is kept, for `metricsHistorySeconds`.
 *
 * As in Stalwart's history (whose WebAdmin adds the samples of one chart bucket up), counters
 * and histograms are what was added during the round (deltas; rounds without change are left
 * out), gauges their value at the end of the round.
 * Memory: at most seconds/interval rounds (1440 by default) of at most MAX_SAMPLES_PER_ROUND
 * samples each.
 */
import type { SchedulerAction, SchedulerLike, Subscription } from "rxjs";
import type { FastifyInstance, onRequestAsyncHookHandler } from "fastify";
import type { MetricSample, Metrics } from "../../../core/index.js";

/** Samples kept per round: a process with thousands of event types cannot grow the history past it. */
export const MAX_SAMPLES_PER_ROUND = 200;

export type HistorySample =
  | { type: "counter" | "gauge"; id: string; timestamp: string; value: number }
  | { type: "histogram"; id: string; timestamp: string; count: number; sum: number };

interface Round {
  at: number;
  samples: HistorySample[];
}

export interface MetricsHistoryOptions {
  metricsHistorySeconds: number;
  metricsHistoryIntervalSeconds: number;
}

export class MetricsHistory {
  private readonly rounds: Round[] = [];
  private readonly maxRounds: number;
  private readonly intervalMs: number;
  private previous = new Map<string, MetricSample>();
  private action: Subscription | undefined;

  constructor(
    opts: MetricsHistoryOptions,
    private readonly metrics: Metrics,
    private readonly scheduler: SchedulerLike,
  ) {
    this.intervalMs = opts.metricsHistoryIntervalSeconds * 1000;
    this.maxRounds = Math.max(1, Math.ceil(opts.metricsHistorySeconds / opts.metricsHistoryIntervalSeconds));
  }

  get size(): number {
    return this.rounds.length;
  }

  /** Takes the baseline now and a round every interval, until `stop()`. */
  start(): void {
    if (this.action) return;
    this.previous = byId(this.metrics.snapshot());
    this.action = this.scheduler.schedule(
      function (this: SchedulerAction<MetricsHistory>, history) {
        history!.sample();
        this.schedule(history, history!.intervalMs);
      },
      this.intervalMs,
      this,
    );
  }

  stop(): void {
    this.action?.unsubscribe();
    this.action = undefined;
  }

  /** One round: called by the timer; public for tests that drive it themselves. */
  sample(): void {
    const now = this.scheduler.now();
    const timestamp = new Date(now).toISOString().replace(/\.\d{3}Z$/, "Z");
    const current = this.metrics.snapshot();
    const samples: HistorySample[] = [];
    for (const s of current) {
      const before = this.previous.get(s.id);
      if (s.type === "gauge") samples.push({ type: "gauge", id: s.id, timestamp, value: s.value });
      else if (s.type === "counter") {
        // A counter below its previous value was reset (a component restarted): all of it is new.
        const prev = before?.type === "counter" && before.value <= s.value ? before.value : 0;
        if (s.value > prev) samples.push({ type: "counter", id: s.id, timestamp, value: s.value - prev });
      } else if (s.type === "histogram") {
        const base = before?.type === "histogram" && before.count <= s.count ? before : undefined;
        const count = s.count - (base?.count ?? 0);
        if (count > 0) samples.push({ type: "histogram", id: s.id, timestamp, count, sum: s.sum - (base?.sum ?? 0) });
      }
    }
    // Over the bound (thousands of event types, each a counter): gauges and histograms first
    // (the process's own: memory, clients, latency), then the counters that grew most.
    if (samples.length > MAX_SAMPLES_PER_ROUND) {
      const rank = (x: HistorySample) => (x.type === "counter" ? x.value : Infinity);
      samples.sort((a, b) => rank(b) - rank(a) || (a.id < b.id ? -1 : 1));
      samples.length = MAX_SAMPLES_PER_ROUND;
    }
    this.previous = byId(current);
    this.rounds.push({ at: now, samples });
    if (this.rounds.length > this.maxRounds) this.rounds.shift();
  }

  /** Samples of the rounds taken after `afterMs` (epoch ms), oldest first. */
  after(afterMs: number): HistorySample[] {
    const out: HistorySample[] = [];
    for (const r of this.rounds) if (r.at > afterMs) out.push(...r.samples);
    return out;
  }
}

function byId(samples: MetricSample[]): Map<string, MetricSample> {
  return new Map(samples.map((s) => [s.id, s]));
}

/** `after=<RFC 3339>`: epoch ms, or an error text. Absent: everything retained. */
export function parseAfter(value: string | undefined): number | string {
  if (value === undefined || value === "") return -Infinity;
  const ok = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/.test(value);
  const ms = ok ? Date.parse(value) : NaN;
  if (Number.isNaN(ms)) return `after "${value.slice(0, 40)}" is not an RFC 3339 time (e.g. "2026-11-24T11:50:00Z")`;
  return ms;
}

/** `GET /api/telemetry/metrics?after=`: `{"data": [...]}`, shaped by `shape` (compat rounding). */
export function registerMetricsHistory(
  app: FastifyInstance,
  path: string,
  history: MetricsHistory,
  guard: onRequestAsyncHookHandler,
  shape: (samples: HistorySample[]) => HistorySample[],
): void {
  app.get(path, { onRequest: guard }, async (req, reply) => {
    const q = req.url.indexOf("?");
    const params = new URLSearchParams(q < 0 ? "" : req.url.slice(q + 1));
    const all = params.getAll("after");
    const after = parseAfter(all[all.length - 1]);
    if (typeof after === "string") return reply.code(400).send({ error: "invalid parameter", details: after });
    return { data: shape(history.after(after)) };
  });
}
