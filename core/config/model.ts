import type { PluginDefinition, PluginKind, Problem } from "../plugin.js";
import { formatProblem } from "../problem-text.js";

export { formatPath, formatProblem } from "../problem-text.js";

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
