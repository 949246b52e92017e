import { resolve } from "node:path";
import { readFileSync, writeFileSync } from "node:fs";
import { Command } from "commander";
import type { PluginDefinition } from "../plugin.js";
import { PluginRegistry } from "../registry.js";
import { optionsReference, writeConfigSchema } from "../config/index.js";

export const README_REFERENCE_START = "<!-- plugin-reference:start -->";
export const README_REFERENCE_END = "<!-- plugin-reference:end -->";

/** Regenerates schemas/livetap.schema.json and the README's plugin reference (npm run schemas). */
export function schemasCommand(builtins: readonly PluginDefinition[]): Command {
  return new Command("schemas")
    .description("write schemas/livetap.schema.json and the README plugin reference from the plugins' option schemas")
    .option("--root <dir>", "repository root", ".")
    .action((opts: { root: string }) => {
      const registry = new PluginRegistry().register(...builtins);
      writeConfigSchema(registry, resolve(opts.root, "schemas/livetap.schema.json"));
      const readme = resolve(opts.root, "README.md");
      writeFileSync(readme, replaceReference(readFileSync(readme, "utf8"), optionsReference(registry)));
      process.stdout.write("wrote schemas/livetap.schema.json and the README plugin reference\n");
    });
}

export function replaceReference(readme: string, reference: string): string {
  const start = readme.indexOf(README_REFERENCE_START);
  const end = readme.indexOf(README_REFERENCE_END);
  if (start < 0 || end < start) throw new Error(`README.md lacks the ${README_REFERENCE_START} ... ${README_REFERENCE_END} markers`);
  return `${readme.slice(0, start + README_REFERENCE_START.length)}\n${reference.trim()}\n${readme.slice(end)}`;
}
