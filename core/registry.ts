import { pathToFileURL } from "node:url";
import { isAbsolute, resolve } from "node:path";
import { createRequire } from "node:module";
import { isPluginDefinition, type PluginDefinition, type PluginKind } from "./plugin.js";

/**
 * The plugin types known to this process. Built-ins and users' modules register the same way:
 * a module's default export (one definition or an array) or its `plugins` export.
 */
export class PluginRegistry {
  private readonly byKind: Record<PluginKind, Map<string, PluginDefinition>> = {
    source: new Map(),
    operator: new Map(),
    sink: new Map(),
  };

  register(...definitions: PluginDefinition[]): this {
    for (const d of definitions) {
      if (!/^[a-z][a-z0-9-]*$/.test(d.type)) throw new Error(`plugin type "${d.type}" must be lowercase kebab-case`);
      const existing = this.byKind[d.kind].get(d.type);
      if (existing && existing !== d) throw new Error(`a ${d.kind} type "${d.type}" is already registered`);
      this.byKind[d.kind].set(d.type, d);
    }
    return this;
  }

  get(kind: PluginKind, type: string): PluginDefinition | undefined {
    return this.byKind[kind].get(type);
  }

  types(kind: PluginKind): string[] {
    return [...this.byKind[kind].keys()].sort();
  }

  all(): PluginDefinition[] {
    return (["source", "operator", "sink"] as const).flatMap((k) => [...this.byKind[k].values()]);
  }

  /**
   * Imports a plugin module (a path relative to `baseDir`, or a package name resolved from
   * there) and registers what it exports. Throws an Error saying which module and why.
   */
  async load(specifier: string, baseDir: string): Promise<PluginDefinition[]> {
    let url: string;
    if (specifier.startsWith(".") || isAbsolute(specifier)) url = pathToFileURL(resolve(baseDir, specifier)).href;
    else {
      try {
        url = pathToFileURL(createRequire(resolve(baseDir, "livetap.json")).resolve(specifier)).href;
      } catch {
        throw new Error(`cannot find package "${specifier}" from ${baseDir}`);
      }
    }
    let mod: Record<string, unknown>;
    try {
      mod = (await import(url)) as Record<string, unknown>;
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      throw new Error(e.code === "ERR_MODULE_NOT_FOUND" ? `cannot find module: ${e.message.split("\n")[0]}` : `failed to load: ${e.message.split("\n")[0]}`);
    }
    const found = [mod.default, mod.plugins].flatMap((x) => (Array.isArray(x) ? x : x === undefined ? [] : [x]));
    const definitions = found.filter(isPluginDefinition);
    if (definitions.length === 0) {
      throw new Error("exports no plugin definitions (export default defineSource(...) or an array of them)");
    }
    this.register(...definitions);
    return definitions;
  }
}
