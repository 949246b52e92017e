import { tap, type MonoTypeOperatorFunction } from "rxjs";
import { type Metrics, type Counter, type LiveEvent, PluginProblems, type Problem } from "../../../core/index.js";
import { compileEventCondition, fieldReader, isMetricId, numericValue } from "../../../core/kit.js";
import { DEFAULT_BUCKETS, type CounterRule, type MetricOptions } from "./options.js";

type Match = ((e: LiveEvent) => boolean) | undefined;
type Feed = (e: LiveEvent) => void;

/**
 * Feeds the registry from events, which pass through unchanged (not copied, not modified).
 * Every metric a rule names up front is created here, so a clash with an existing metric of
 * another type is a startup problem at the rule's path, not an error on the first event.
 */
export function metricEvents(o: MetricOptions, metrics: Metrics): MonoTypeOperatorFunction<LiveEvent> {
  const problems: Problem[] = [];
  const create = <T>(path: (string | number)[], make: () => T): T | undefined => {
    try {
      return make();
    } catch (err) {
      problems.push({ path, message: (err as Error).message });
      return undefined;
    }
  };
  const feeds: Feed[] = [];

  (o.counters ?? []).forEach((rule, i) => {
    const match = matcher(rule.where);
    if (rule.field === undefined && !rule.byType) {
      const c = create(["counters", i, "id"], () => metrics.counter(rule.id, "Events counted by a metric operator"));
      if (c) feeds.push(when(match, () => c.inc()));
      return;
    }
    const series = create(["counters", i, "id"], () => seriesCounters(rule, metrics));
    if (!series) return;
    const field = rule.field === undefined ? undefined : fieldReader(rule.field);
    feeds.push(
      when(match, (e) => {
        if (field === undefined) return series(e.type).inc();
        const v = field(e);
        if (typeof v === "string" || typeof v === "number" || typeof v === "boolean") series(String(v)).inc();
      }),
    );
  });

  (o.histograms ?? []).forEach((rule, i) => {
    const h = create(["histograms", i, "id"], () => metrics.histogram(rule.id, `Values of data.${rule.field}`, rule.buckets ?? DEFAULT_BUCKETS));
    if (!h) return;
    const field = fieldReader(rule.field);
    feeds.push(
      when(matcher(rule.where), (e) => {
        const n = numericValue(field(e));
        if (n !== undefined) h.observe(n);
      }),
    );
  });

  (o.gauges ?? []).forEach((rule, i) => {
    const g = create(["gauges", i, "id"], () => metrics.gauge(rule.id, `Latest data.${rule.field}`));
    if (!g) return;
    const field = fieldReader(rule.field);
    feeds.push(
      when(matcher(rule.where), (e) => {
        const n = numericValue(field(e));
        if (n !== undefined) g.set(n);
      }),
    );
  });

  if (problems.length > 0) throw new PluginProblems(problems);
  return tap((e) => {
    for (let i = 0; i < feeds.length; i++) feeds[i](e);
  });
}

function matcher(where: CounterRule["where"]): Match {
  if (where === undefined) return undefined;
  const m = compileEventCondition(where);
  return m.matchesAll ? undefined : m.predicate;
}

function when(match: Match, feed: Feed): Feed {
  return match === undefined ? feed : (e) => {
    if (match(e)) feed(e);
  };
}

/**
 * The counter of one value of a series rule, at most `maxSeries` of them, the rest folded into
 * `<id>.other`. The cache mirrors registry state, which outlives any one subscription, so it
 * belongs to the operator rather than to a subscription.
 */
function seriesCounters(rule: CounterRule, metrics: Metrics): (value: string) => Counter {
  const other = metrics.counter(`${rule.id}.other`, `Events of ${rule.id} past its maxSeries distinct values`);
  const byValue = new Map<string, Counter>();
  const max = rule.maxSeries ?? 100;
  const room = 200 - rule.id.length - 1;
  return (value) => {
    // Longer values would be cut to the same id anyway; this bounds the cache's memory.
    const k = value.length > 256 ? value.slice(0, 256) : value;
    let c = byValue.get(k);
    if (c !== undefined) return c;
    if (byValue.size >= max) return other;
    // Event types are already lowercase dotted words: they keep their dots, as in core's per-type counters.
    const name = rule.byType && k.length <= room && isMetricId(k) ? k : seriesName(k, room);
    const id = `${rule.id}.${name}`;
    try {
      c = metrics.counter(id, `Events of ${rule.id} with this ${rule.field ?? "type"}`);
    } catch {
      c = other; // a metric of another type already has this id
    }
    byValue.set(k, c);
    return c;
  };
}

/** A field value as the last part of a metric id: lowercase, runs of anything but a-z and 0-9 made one dash. */
export function seriesName(value: string, room = 200): string {
  const s = value
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .slice(0, room)
    .replace(/^-+|-+$/g, "");
  return s === "" ? "empty" : s;
}
