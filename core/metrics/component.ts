/**
 * What a component sees of the process's metrics (token METRICS): the process-wide metrics by
 * full id, plus its own under its config path, as Vector tags each component's metrics. Core
 * builds one per component (pipeline/instantiate.ts); plugins never work out their own name.
 */
import { isMetricId, MetricsRegistry, type Counter, type Gauge, type Histogram, type MetricInfo, type MetricSample } from "./registry.js";

/** Get-or-create by id: the same id gives the same metric. */
export interface MetricFactory {
  counter(id: string, help?: string): Counter;
  /** With `read`, the value is read at snapshot time. */
  gauge(id: string, help?: string, read?: () => number): Gauge;
  /** `bounds`: upper bucket bounds (default: latencies in ms). */
  histogram(id: string, help?: string, bounds?: readonly number[]): Histogram;
}

/** The process's metrics by full id (`events.dropped`, `sse.clients`), to create and to read. */
export interface Metrics extends MetricFactory {
  /** Every metric's current value, ordered by id. */
  snapshot(select?: (id: string) => boolean): MetricSample[];
  /** Metadata and live objects, for exposition formats (Prometheus). */
  list(): { info: MetricInfo; metric: Counter | Gauge | Histogram }[];
}

export interface ComponentMetrics extends Metrics {
  /**
   * This component's own metrics, ids under its config path: `own.counter("dropped")` is
   * `operators.<name>.dropped` (the name lowercased, other characters made `-`).
   */
  readonly own: MetricFactory;
}

/** `operators.My_Filter` -> `operators.my-filter`; undefined when nothing of the name is left. */
export function metricScope(componentPath: string): string | undefined {
  const scope = componentPath
    .toLowerCase()
    .split(".")
    .map((part) => part.replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, ""))
    .join(".");
  return isMetricId(scope) ? scope : undefined;
}

/** The METRICS of one component (`componentPath`: `sources.<name>`, `operators.<name>`, `sinks.<name>`). */
export function componentMetrics(registry: MetricsRegistry, componentPath: string): ComponentMetrics {
  const scope = metricScope(componentPath);
  // A name with no metric id of its own (only dashes and underscores) still gets working,
  // unexported metrics, so a plugin never has to check.
  const own: MetricFactory =
    scope === undefined
      ? new MetricsRegistry()
      : {
          counter: (id, help) => registry.counter(`${scope}.${id}`, help),
          gauge: (id, help, read) => registry.gauge(`${scope}.${id}`, help, read),
          histogram: (id, help, bounds) => registry.histogram(`${scope}.${id}`, help, bounds),
        };
  return {
    own,
    counter: (id, help) => registry.counter(id, help),
    gauge: (id, help, read) => registry.gauge(id, help, read),
    histogram: (id, help, bounds) => registry.histogram(id, help, bounds),
    snapshot: (select) => registry.snapshot(select),
    list: () => registry.list(),
  };
}
