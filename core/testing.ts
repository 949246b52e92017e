/**
 * Helpers for plugin tests (built-in and users'): build one plugin with real services, parse
 * its options the way core does.
 */
import type { z } from "zod";
import type { PluginDefinition, PluginInstanceOf, PluginKind } from "./plugin.js";
import { defaultServices, instantiate, type Services } from "./pipeline/instantiate.js";

export { defaultServices, type Services };

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
