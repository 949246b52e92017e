import type { MonoTypeOperatorFunction } from "rxjs";
import { type ComponentMetrics, defineOperator, type Delivery, DELIVERY, inject, injectable, type LiveEvent, type Logger, LOGGER, METRICS, type Operator, OPTIONS } from "../../../core/index.js";
import { dropCounter } from "../../../core/kit.js";
import { filterEvents } from "./filter.js";
import { FilterOptions } from "./options.js";

@injectable()
export class FilterOperator implements Operator {
  constructor(
    @inject(OPTIONS) private readonly opts: FilterOptions,
    @inject(METRICS) private readonly metrics: ComponentMetrics,
    @inject(LOGGER) private readonly logger: Logger,
    @inject(DELIVERY) private readonly delivery: Delivery,
  ) {}

  operator(): MonoTypeOperatorFunction<LiveEvent> {
    this.logger.debug({ include: this.opts.include, exclude: this.opts.exclude }, "filter conditions");
    return filterEvents(this.opts, dropCounter(this.metrics, "filter", this.delivery));
  }
}

export default defineOperator({
  type: "filter",
  description: "Keeps events matching `include` and not `exclude` (the SSE query-filter vocabulary, plus severity and numeric comparisons); counts what it drops.",
  options: FilterOptions,
  plugin: FilterOperator,
  example: { exclude: { severity: "debug" } },
});
