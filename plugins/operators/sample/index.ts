import type { MonoTypeOperatorFunction } from "rxjs";
import { defineOperator, DELIVERY, dropCounter, inject, injectable, LOGGER, METRICS, OPTIONS, type Delivery, type LiveEvent, type Logger, type MetricsRegistry, type Operator } from "../../../core/index.js";
import { SampleOptions } from "./options.js";
import { sampleEvents } from "./sample.js";

@injectable()
export class SampleOperator implements Operator {
  constructor(
    @inject(OPTIONS) private readonly opts: SampleOptions,
    @inject(METRICS) private readonly metrics: MetricsRegistry,
    @inject(LOGGER) private readonly logger: Logger,
    @inject(DELIVERY) private readonly delivery: Delivery,
  ) {}

  operator(): MonoTypeOperatorFunction<LiveEvent> {
    return sampleEvents(this.opts, dropCounter(this.metrics, this.logger, "sample", this.delivery), undefined, (from, to) => this.delivery.replace(from, to));
  }
}

export default defineOperator({
  type: "sample",
  description: "Keeps 1 event in `rate`, at random or by a seeded hash of a key (whole sessions/IPs, the same on every node); `alwaysKeep` bypasses it; kept events carry `data.sampleRate`.",
  options: SampleOptions,
  plugin: SampleOperator,
  example: { rate: 10 },
});
