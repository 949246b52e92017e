/**
 * Helpers for plugin tests (built-in and users'): build one plugin with real services, parse
 * its options the way core does.
 */
import type { z } from "zod";
import type { PluginDefinition, PluginInstanceOf, PluginKind } from "./plugin.js";
import { defaultServices, instantiate, type Services } from "./pipeline/instantiate.js";

export { defaultServices, type Services };
/** The process-wide registry behind METRICS: pass one in `services` to read what a plugin counted. */
export { MetricsRegistry } from "./metrics/registry.js";
/** A pipeline's delivery bookkeeping: pass one in `services` to hold or settle events by hand. */
export { DeliveryHub } from "./pipeline/delivery.js";
/** METRICS as core builds it for one component, for a plugin built by hand in a test. */
export { componentMetrics } from "./metrics/component.js";
/** CHECKPOINTS as core builds it: atomic JSON files in a folder. */
export { FileCheckpointStore } from "./state/checkpoints.js";
/** A contributed command as the CLI registers it (commander), to parse and run it in a test. */
export { toCommander } from "./cli/plugin-commands.js";
/** The receive-time stamp core puts on events (for operators' tests that it survives). */
export { RECEIVED_AT } from "./event.js";

/**
 * Creates a plugin instance with `options` parsed by its zod schema (defaults applied), and
 * the given or default services (silent logger, fresh metrics, asyncScheduler, temp-free
 * dataDir under cwd unless given).
 */
export function createPlugin<K extends PluginKind>(
  definition: PluginDefinition<K>,
  options: Record<string, unknown> = {},
  services: Partial<Services> = {},
): { plugin: PluginInstanceOf[K]; services: Services } {
  const s = defaultServices(services);
  const schema = definition.options as z.ZodType;
  const parsed = typeof (schema as { parse?: unknown }).parse === "function" ? schema.parse(options) : options;
  return { plugin: instantiate(definition, parsed, s), services: s };
}

export { conformance, freePort, type ConformanceOptions } from "./conformance.js";
export { ConfigError } from "./config/model.js";
