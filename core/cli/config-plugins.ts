import { readFile } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import type { PluginDefinition } from "../plugin.js";
import { PluginRegistry } from "../registry.js";

/** The value of `-c PATH`, `--config PATH` or `--config=PATH` among the CLI words, if any. */
export function configArgument(argv: readonly string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--") return undefined;
    if (a === "-c" || a === "--config") return argv[i + 1];
    if (a.startsWith("--config=")) return a.slice("--config=".length);
  }
  return undefined;
}

/**
 * The definitions exported by the `plugins` modules of a config file, so the CLI can offer
 * their commands. Best effort and silent: a config that cannot be read, or a module that
 * fails to load, is reported with its path by `run` and `validate`, not here.
 */
export async function configPluginDefinitions(file: string): Promise<PluginDefinition[]> {
  let plugins: unknown;
  try {
    const text = await readFile(file, "utf8");
    plugins = (JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text) as { plugins?: unknown }).plugins;
  } catch {
    return [];
  }
  if (!Array.isArray(plugins)) return [];
  const found: PluginDefinition[] = [];
  for (const specifier of plugins) {
    if (typeof specifier !== "string") continue;
    try {
      found.push(...(await new PluginRegistry().load(specifier, dirname(resolve(file)))));
    } catch {
      // run/validate say which module and why.
    }
  }
  return found;
}
