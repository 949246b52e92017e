import { readFile } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import type { Problem } from "../plugin.js";
import type { PluginRegistry } from "../registry.js";
import { isPlainObject } from "../lib/record.js";
import { readComponents, type ComponentDraft } from "./components.js";
import { sortByConfigOrder } from "./config-order.js";
import { substituteEnv } from "./env.js";
import { buildGraph } from "./graph.js";
import { parseJsonText } from "./json-text.js";
import { tooDeep } from "./depth.js";
import { describeValue } from "./messages.js";
import { ConfigError, type ComponentConfig, type PipelineConfig } from "./model.js";
import { createOptionsValidator } from "./options.js";
import { readTopLevel } from "./top-level.js";

/**
 * Reads, parses and validates a config file. `plugins` and `dataDir` are relative to the
 * file's directory. Throws ConfigError with every problem found, in file order.
 */
export async function loadConfigFile(file: string, registry: PluginRegistry, env: NodeJS.ProcessEnv = process.env): Promise<PipelineConfig> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (err) {
    throw new ConfigError([{ path: [], message: `cannot read ${JSON.stringify(file)}: ${fsReason(err)}` }]);
  }
  const parsed = parseJsonText(text, file);
  if (!parsed.ok) throw new ConfigError([{ path: [], message: parsed.message }]);
  return loadConfigObject(parsed.value, registry, { baseDir: dirname(resolve(file)), env });
}

export interface LoadOptions {
  /** What `plugins` and `dataDir` are relative to. */
  baseDir: string;
  env?: NodeJS.ProcessEnv;
}

/** The same as loadConfigFile for a config already in memory (the embedded default config). */
export async function loadConfigObject(raw: unknown, registry: PluginRegistry, opts: LoadOptions): Promise<PipelineConfig> {
  if (!isPlainObject(raw)) throw new ConfigError([{ path: [], message: `the config must be a JSON object, got ${describeValue(raw)}` }]);
  // Alone and first: every check after this one walks the document recursively.
  const deep = tooDeep(raw);
  if (deep.length > 0) throw new ConfigError(deep);
  const substituted = substituteEnv(raw, opts.env ?? process.env);
  const doc = substituted.value as Record<string, unknown>;

  const top = readTopLevel(doc, opts.baseDir);
  // Before the components: a plugin module adds the types they may use.
  const pluginProblems = await loadPlugins(top.plugins, registry, opts.baseDir);
  const components = readComponents(doc, registry, createOptionsValidator());
  const graph = buildGraph(components.drafts, components.complete);

  const problems = withoutShadowed(substituted.problems, [...top.problems, ...pluginProblems, ...components.problems, ...graph.problems]);
  if (problems.length > 0) throw new ConfigError(sortByConfigOrder(problems, raw));
  return { dataDir: top.dataDir, components: graph.order.map(toComponentConfig), warnings: graph.warnings };
}

/** In list order, so which module wins a type conflict does not depend on timing. */
async function loadPlugins(plugins: { specifier: string; index: number }[], registry: PluginRegistry, baseDir: string): Promise<Problem[]> {
  const problems: Problem[] = [];
  for (const { specifier, index } of plugins) {
    try {
      await registry.load(specifier, baseDir);
    } catch (err) {
      problems.push({ path: ["plugins", index], message: `cannot load ${JSON.stringify(specifier)}: ${(err as Error).message}` });
    }
  }
  return problems;
}

/**
 * A value with an unset variable is still checked by everything after, which would report
 * it again as a bad option or unknown input (`"${ADDR}" is not host:port`). The variable is
 * the cause, so problems at or under its path are dropped.
 */
function withoutShadowed(envProblems: Problem[], others: Problem[]): Problem[] {
  const shadowed = (p: Problem): boolean => envProblems.some((e) => e.path.length <= p.path.length && e.path.every((part, i) => p.path[i] === part));
  return [...envProblems, ...others.filter((p) => !shadowed(p))];
}

function toComponentConfig(d: ComponentDraft): ComponentConfig {
  // Only reached when there were no problems, so every draft has its type and options.
  return {
    kind: d.kind,
    name: d.name,
    path: `${d.section}.${d.name}`,
    type: d.type!,
    inputs: d.inputs.map((i) => i.name),
    options: d.options,
    definition: d.definition!,
  };
}

function fsReason(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  const reasons: Record<string, string> = {
    ENOENT: "no such file",
    EACCES: "permission denied",
    EISDIR: "it is a directory",
    ENOTDIR: "a parent is not a directory",
  };
  return e.code ? `${e.code} (${reasons[e.code] ?? e.message})` : String(e.message ?? err);
}
