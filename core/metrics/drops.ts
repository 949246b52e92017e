import type { Delivery } from "../delivery.js";
import type { LiveEvent } from "../event.js";
import type { ComponentMetrics } from "./component.js";

/**
 * Counts a dropped event three ways: `events.dropped` (the process total of CONTRACT 4),
 * `<type>.dropped` (all operators of this type) and `operators.<name>.dropped` (this
 * component). With `delivery`, the event is also settled as dropped on purpose (CONTRACT 7),
 * so its source is not kept waiting.
 */
export function dropCounter(metrics: ComponentMetrics, type: string, delivery?: Delivery): (event: LiveEvent) => void {
  const total = metrics.counter("events.dropped", "Events dropped by operators or full buffers");
  const byType = metrics.counter(`${type}.dropped`, `Events dropped by ${type} operators`);
  const own = metrics.own.counter("dropped", `Events dropped by this ${type} operator`);
  return (event) => {
    total.inc();
    byType.inc();
    own.inc();
    delivery?.drop(event);
  };
}
