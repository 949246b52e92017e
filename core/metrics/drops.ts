import type { Logger } from "pino";
import { isMetricId, type MetricsRegistry } from "./registry.js";

/**
 * Counts a dropped event three ways: `events.dropped` (the process total of CONTRACT 4),
 * `<type>.dropped` (all operators of this type) and `operators.<name>.dropped` (this
 * component, named from the logger's `component` binding, which core sets to
 * `operators.<name>`; names are lowercased, other characters become dashes).
 */
export function dropCounter(metrics: MetricsRegistry, logger: Logger | undefined, type: string): () => void {
  const total = metrics.counter("events.dropped", "Events dropped by operators or full buffers");
  const byType = metrics.counter(`${type}.dropped`, `Events dropped by ${type} operators`);
  const id = componentMetricId(logger, "dropped");
  const own = id === undefined || id === byType.id ? undefined : metrics.counter(id, `Events dropped by this ${type} operator`);
  if (!own) {
    return () => {
      total.inc();
      byType.inc();
    };
  }
  return () => {
    total.inc();
    byType.inc();
    own.inc();
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
