import type { PluginKind } from "../plugin.js";

/** The three component sections of a config file, in the order they are read and printed. */
export interface Section {
  kind: PluginKind;
  /** The config key: `sources`. */
  key: "sources" | "operators" | "sinks";
  required: boolean;
}

export const SECTIONS: readonly Section[] = [
  { kind: "source", key: "sources", required: true },
  { kind: "operator", key: "operators", required: false },
  { kind: "sink", key: "sinks", required: true },
];

/** Every top-level key a config may have, in the order the docs list them. */
export const TOP_LEVEL_KEYS = ["$schema", "plugins", "dataDir", "sources", "operators", "sinks"] as const;

export const DEFAULT_DATA_DIR = "./.livetap";

/** Component names are referenced in `inputs`, logs and metrics labels: keep them plain. */
export const COMPONENT_NAME = /^[A-Za-z0-9_-]{1,64}$/;
