import type { MonoTypeOperatorFunction, SchedulerLike } from "rxjs";
import {
  componentMetricId,
  defineOperator,
  dropCounter,
  inject,
  injectable,
  DELIVERY,
  LOGGER,
  METRICS,
  OPTIONS,
  SCHEDULER,
  type Delivery, type LiveEvent,
  type Logger,
  type MetricsRegistry,
  type Operator,
} from "../../../core/index.js";
import { ThrottleOptions } from "./options.js";
import { throttleEvents } from "./throttle.js";

@injectable()
export class ThrottleOperator implements Operator {
  constructor(
    @inject(OPTIONS) private readonly opts: ThrottleOptions,
    @inject(SCHEDULER) private readonly clock: SchedulerLike,
    @inject(METRICS) private readonly metrics: MetricsRegistry,
    @inject(LOGGER) private readonly logger: Logger,
    @inject(DELIVERY) private readonly delivery: Delivery,
  ) {}

  operator(): MonoTypeOperatorFunction<LiveEvent> {
    const keysId = this.opts.key === undefined ? undefined : componentMetricId(this.logger, "keys");
    const keys = keysId === undefined ? undefined : this.metrics.gauge(keysId, "Keys this throttle tracks (bounded by maxKeys)");
    return throttleEvents(this.opts, this.clock, {
      dropped: dropCounter(this.metrics, this.logger, "throttle", this.delivery),
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
