import { Gauge as PromGauge, Registry } from "prom-client";
import type { Metrics, Counter, Gauge, Histogram, MetricInfo } from "../../../core/index.js";

type Exposition = Awaited<ReturnType<PromGauge["get"]>>;
type PromType = Exposition["type"];

/**
 * A prom-client metric whose exposition is read from one of ours at scrape time. prom-client
 * formats and escapes; our registry stays the single store (nothing is copied per event).
 */
class Mirror extends PromGauge {
  constructor(
    name: string,
    help: string,
    registry: Registry,
    private readonly render: () => Exposition,
  ) {
    super({ name, help, registers: [registry] });
  }

  override async get(): Promise<Exposition> {
    return this.render();
  }
}

/** `/metrics` in Prometheus text format 0.0.4 (CONTRACT 4). */
export class PrometheusExporter {
  private readonly registry = new Registry();
  /** Our ids already mirrored (metrics are never removed, so this only grows with the registry). */
  private readonly mirrored = new Set<string>();

  constructor(private readonly metrics: Metrics) {}

  get contentType(): string {
    return this.registry.contentType;
  }

  async scrape(): Promise<string> {
    // Event-type counters appear while running: mirror what is new since the last scrape.
    for (const { info, metric } of this.metrics.list()) {
      if (this.mirrored.has(info.id)) continue;
      this.mirrored.add(info.id);
      const name = prometheusName(info.id, info.type);
      // `a.b` and `a-b` map to one name: the first (by id order) keeps it.
      if (this.registry.getSingleMetric(name)) continue;
      const help = info.help || `livetap metric ${info.id}`;
      new Mirror(name, help, this.registry, () => expose(name, help, info.type, metric));
    }
    return this.registry.metrics();
  }
}

/** Dots and dashes become underscores; counters end in `_total` (`events.received` -> `events_received_total`). */
export function prometheusName(id: string, type: MetricInfo["type"]): string {
  let name = id.replace(/[.-]/g, "_");
  if (/^[0-9]/.test(name)) name = `_${name}`; // Prometheus names cannot start with a digit
  if (type === "counter" && !name.endsWith("_total")) name += "_total";
  return name;
}

function expose(name: string, help: string, type: MetricInfo["type"], metric: Counter | Gauge | Histogram): Exposition {
  // prom-client types `type` as a declared enum that has no runtime object; its values are these strings.
  const base = { name, help, type: type as unknown as PromType, aggregator: "sum" as const };
  if (type !== "histogram") return { ...base, values: [{ value: (metric as Counter | Gauge).value, labels: {} }] } as Exposition;
  const h = metric as Histogram;
  const values: { value: number; labels: Record<string, string | number>; metricName: string }[] = [];
  let cumulative = 0;
  h.bounds.forEach((bound, i) => {
    cumulative += h.bucketCounts[i];
    values.push({ metricName: `${name}_bucket`, labels: { le: bound }, value: cumulative });
  });
  values.push(
    { metricName: `${name}_bucket`, labels: { le: "+Inf" }, value: h.count },
    { metricName: `${name}_sum`, labels: {}, value: h.sum },
    { metricName: `${name}_count`, labels: {}, value: h.count },
  );
  // `metricName` per value is how prom-client's own histograms name _bucket/_sum/_count lines.
  return { ...base, values } as unknown as Exposition;
}
