import type { MonoTypeOperatorFunction, SchedulerLike } from "rxjs";
import { type ComponentMetrics, defineOperator, type Delivery, DELIVERY, inject, injectable, type LiveEvent, METRICS, type Operator, OPTIONS, SCHEDULER } from "../../../core/index.js";
import { dropCounter } from "../../../core/kit.js";
import { ThrottleOptions } from "./options.js";
import { throttleEvents } from "./throttle.js";

@injectable()
export class ThrottleOperator implements Operator {
  constructor(
    @inject(OPTIONS) private readonly opts: ThrottleOptions,
    @inject(SCHEDULER) private readonly clock: SchedulerLike,
    @inject(METRICS) private readonly metrics: ComponentMetrics,
    @inject(DELIVERY) private readonly delivery: Delivery,
  ) {}

  operator(): MonoTypeOperatorFunction<LiveEvent> {
    const keys = this.opts.key === undefined ? undefined : this.metrics.own.gauge("keys", "Keys this throttle tracks (bounded by maxKeys)");
    return throttleEvents(this.opts, this.clock, {
      dropped: dropCounter(this.metrics, "throttle", this.delivery),
      keys: keys && ((n) => keys.set(n)),
    });
  }
}

export default defineOperator({
  type: "throttle",
  description: "At most `threshold` events per `windowSeconds` per key (a token bucket per key, LRU-bounded by `maxKeys`); the excess is dropped and counted.",
  options: ThrottleOptions,
  plugin: ThrottleOperator,
  example: { threshold: 100 },
});
