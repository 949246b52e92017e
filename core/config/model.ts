import type { PluginDefinition, PluginKind, Problem } from "../plugin.js";

/** One validated component of the DAG. */
export interface ComponentConfig {
  kind: PluginKind;
  /** The component's name in the config (`live`). */
  name: string;
  /** `sources.<name>`, `operators.<name>` or `sinks.<name>`: log and error prefix. */
  path: string;
  type: string;
  /** Names of upstream components (empty for sources). */
  inputs: string[];
  /** Options parsed and defaulted by the plugin's schema (without `type` and `inputs`). */
  options: unknown;
  definition: PluginDefinition;
}

/** A valid config, ready for the pipeline builder. */
export interface PipelineConfig {
  /** Absolute directory for checkpoints and state. */
  dataDir: string;
  /** Components in topological order: every input comes before its consumers. */
  components: ComponentConfig[];
  /** Non-fatal findings (unused sources), as `PATH: message`. */
  warnings: string[];
}

/** Problems found while loading; `path` is absolute in the config (`["sinks","live","adress"]`). */
export class ConfigError extends Error {
  constructor(readonly problems: Problem[]) {
    super(problems.map(formatProblem).join("\n"));
    this.name = "ConfigError";
  }
}

/**
 * `sinks.live.auth.bearer[0]: message`: the one way paths are printed (not zod's prettifyError).
 * Keys other than letters, digits, `_`, `-` and `$` are quoted: `sources["my source"].type`.
 * Digits may lead (component names may, `sources.1st`), so problems and log prefixes agree;
 * array indexes are numbers and print as `[0]`, so `.0` is never ambiguous.
 */
export function formatPath(path: readonly (string | number)[]): string {
  let out = "";
  for (const part of path) {
    if (typeof part === "number") out += `[${part}]`;
    else if (/^[\w$-]+$/.test(part)) out += out ? `.${part}` : part;
    else out += `[${JSON.stringify(part)}]`;
  }
  return out || "(config)";
}

/** A problem about the whole file (unreadable, invalid JSON) names the file itself: no prefix. */
export function formatProblem(p: Problem): string {
  return p.path.length === 0 ? p.message : `${formatPath(p.path)}: ${p.message}`;
}
