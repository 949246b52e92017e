import type { MonoTypeOperatorFunction } from "rxjs";
import { defineOperator, DELIVERY, dropCounter, inject, injectable, LOGGER, METRICS, OPTIONS, type Delivery, type LiveEvent, type Logger, type MetricsRegistry, type Operator } from "../../../core/index.js";
import { filterEvents } from "./filter.js";
import { FilterOptions } from "./options.js";

@injectable()
export class FilterOperator implements Operator {
  constructor(
    @inject(OPTIONS) private readonly opts: FilterOptions,
    @inject(METRICS) private readonly metrics: MetricsRegistry,
    @inject(LOGGER) private readonly logger: Logger,
    @inject(DELIVERY) private readonly delivery: Delivery,
  ) {}

  operator(): MonoTypeOperatorFunction<LiveEvent> {
    this.logger.debug({ include: this.opts.include, exclude: this.opts.exclude }, "filter conditions");
    return filterEvents(this.opts, dropCounter(this.metrics, this.logger, "filter", this.delivery));
  }
}

export default defineOperator({
  type: "filter",
  description: "Keeps events matching `include` and not `exclude` (the SSE query-filter vocabulary, plus severity and numeric comparisons); counts what it drops.",
  options: FilterOptions,
  plugin: FilterOperator,
  example: { exclude: { severity: "debug" } },
});
