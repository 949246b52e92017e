import type { MonoTypeOperatorFunction } from "rxjs";
import { type ComponentMetrics, defineOperator, type Delivery, DELIVERY, inject, injectable, type LiveEvent, METRICS, type Operator, OPTIONS } from "../../../core/index.js";
import { dropCounter } from "../../../core/kit.js";
import { SampleOptions } from "./options.js";
import { sampleEvents } from "./sample.js";

@injectable()
export class SampleOperator implements Operator {
  constructor(
    @inject(OPTIONS) private readonly opts: SampleOptions,
    @inject(METRICS) private readonly metrics: ComponentMetrics,
    @inject(DELIVERY) private readonly delivery: Delivery,
  ) {}

  operator(): MonoTypeOperatorFunction<LiveEvent> {
    return sampleEvents(this.opts, dropCounter(this.metrics, "sample", this.delivery), undefined, (from, to) => this.delivery.replace(from, to));
  }
}

export default defineOperator({
  type: "sample",
  description: "Keeps 1 event in `rate`, at random or by a seeded hash of a key (whole sessions/IPs, the same on every node); `alwaysKeep` bypasses it; kept events carry `data.sampleRate`.",
  options: SampleOptions,
  plugin: SampleOperator,
  example: { rate: 10 },
});
