import type { MonoTypeOperatorFunction } from "rxjs";
import { type Metrics, defineOperator, inject, injectable, type LiveEvent, METRICS, type Operator, OPTIONS } from "../../../core/index.js";
import { metricEvents } from "./metric.js";
import { MetricOptions } from "./options.js";

@injectable()
export class MetricOperator implements Operator {
  private readonly fn: MonoTypeOperatorFunction<LiveEvent>;

  constructor(@inject(OPTIONS) opts: MetricOptions, @inject(METRICS) metrics: Metrics) {
    // Built here, not in operator(): a metric id clash is then a startup problem.
    this.fn = metricEvents(opts, metrics);
  }

  operator(): MonoTypeOperatorFunction<LiveEvent> {
    return this.fn;
  }
}

export default defineOperator({
  type: "metric",
  description: "Derives counters (per event, per field value or per type), histograms and gauges from event fields into the metrics registry; events pass through unchanged.",
  options: MetricOptions,
  plugin: MetricOperator,
  example: { counters: [{ id: "events.seen" }] },
});
