import type { ComponentConfig } from "../config/model.js";
import { metricScope } from "../metrics/component.js";
import type { MetricsRegistry } from "../metrics/registry.js";
import type { DeliveryHub } from "./delivery.js";

/** A component's live counters as `GET /api/pipeline` shows them (CONTRACT 9). */
export interface ComponentCounts {
  eventsIn: number;
  eventsOut: number;
  dropped: number;
}

const NONE: ComponentCounts = { eventsIn: 0, eventsOut: 0, dropped: 0 };

/**
 * Reads the delivery ledgers, which count each event once, when asked (they exist only once
 * their component was created). A source's events in and out are the events it produced; an
 * operator's events in are its inputs' out; a sink's out are the events it took and neither
 * failed nor dropped (delivered or still in flight), so in = out + dropped.
 * `dropped` of a source is its own `sources.<name>.dropped` metric (UDP datagrams over
 * maxPendingEvents, a `dropCounter`); of an operator, what it dropped on purpose plus what
 * settled as lost on its account (swallowed, thrown on); of a sink, what it failed (itself, or
 * core when it threw or stopped consuming) or dropped on purpose.
 */
export function componentCounts(delivery: DeliveryHub, metrics: MetricsRegistry): (c: ComponentConfig) => ComponentCounts {
  return (c) => {
    if (c.kind === "operator") {
      const ledger = delivery.operator(c.path);
      return ledger ? { eventsIn: ledger.eventsIn, eventsOut: ledger.eventsOut, dropped: ledger.dropped + ledger.lost } : NONE;
    }
    if (c.kind === "sink") {
      const ledger = delivery.sink(c.path);
      if (!ledger) return NONE;
      const dropped = ledger.failed + ledger.dropped;
      return { eventsIn: ledger.eventsIn, eventsOut: Math.max(0, ledger.eventsIn - dropped), dropped };
    }
    const produced = delivery.source(c.path)?.eventsOut ?? 0;
    const scope = metricScope(c.path);
    return { eventsIn: produced, eventsOut: produced, dropped: (scope && metrics.existingCounter(`${scope}.dropped`)?.value) || 0 };
  };
}
