import type { Logger } from "pino";
import { isMetricId, type MetricsRegistry } from "./registry.js";
import type { Delivery } from "../delivery.js";
import type { LiveEvent } from "../event.js";

/**
 * Counts a dropped event three ways: `events.dropped` (the process total of CONTRACT 4),
 * `<type>.dropped` (all operators of this type) and `operators.<name>.dropped` (this
 * component, named from the logger's `component` binding, which core sets to
 * `operators.<name>`; names are lowercased, other characters become dashes). With `delivery`,
 * the event is also settled as dropped on purpose (CONTRACT 7), so its source is not kept waiting.
 */
export function dropCounter(metrics: MetricsRegistry, logger: Logger | undefined, type: string, delivery?: Delivery): (event: LiveEvent) => void {
  const total = metrics.counter("events.dropped", "Events dropped by operators or full buffers");
  const byType = metrics.counter(`${type}.dropped`, `Events dropped by ${type} operators`);
  const id = componentMetricId(logger, "dropped");
  const own = id === undefined || id === byType.id ? undefined : metrics.counter(id, `Events dropped by this ${type} operator`);
  return (event) => {
    total.inc();
    byType.inc();
    own?.inc();
    delivery?.drop(event);
  };
}

/** `operators.<name>.<suffix>` for the component the logger is bound to, when that makes a metric id. */
export function componentMetricId(logger: Logger | undefined, suffix: string): string | undefined {
  let component: unknown;
  try {
    component = logger?.bindings().component;
  } catch {
    return undefined;
  }
  if (typeof component !== "string") return undefined;
  const id = `${component
    .toLowerCase()
    .split(".")
    .map((part) => part.replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, ""))
    .join(".")}.${suffix}`;
  return isMetricId(id) ? id : undefined;
}
