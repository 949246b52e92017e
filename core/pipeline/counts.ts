import type { ComponentConfig } from "../config/model.js";
import { metricScope } from "../metrics/component.js";
import type { MetricsRegistry } from "../metrics/registry.js";
import type { DeliveryHub } from "./delivery.js";

/** A component's live counters as `GET /api/pipeline` shows them (CONTRACT 9); absent: counted by the tap point. */
export interface ComponentCounts {
  eventsIn?: number;
  eventsOut?: number;
  dropped: number;
}

/**
 * Reads what is counted elsewhere, when asked (the ledgers exist only once their component
 * was created): `dropped` of a source is its own `sources.<name>.dropped` metric (UDP
 * datagrams over maxPendingEvents, a `dropCounter`); of an operator, what it dropped on
 * purpose plus what settled as lost on its account (swallowed, thrown on); of a sink, what it
 * failed (itself, or core when it threw or stopped consuming) or dropped on purpose.
 */
export function componentCounts(delivery: DeliveryHub, metrics: MetricsRegistry): (c: ComponentConfig) => ComponentCounts {
  return (c) => {
    if (c.kind === "operator") {
      const ledger = delivery.operator(c.path);
      return ledger ? { eventsIn: ledger.eventsIn, eventsOut: ledger.eventsOut, dropped: ledger.dropped + ledger.lost } : { dropped: 0 };
    }
    if (c.kind === "sink") {
      const ledger = delivery.sink(c.path);
      return { dropped: ledger ? ledger.failed + ledger.dropped : 0 };
    }
    const scope = metricScope(c.path);
    return { dropped: (scope && metrics.existingCounter(`${scope}.dropped`)?.value) || 0 };
  };
}
