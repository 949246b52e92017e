#!/usr/bin/env node
import "reflect-metadata";
import { readFileSync } from "node:fs";
import { Command } from "commander";
import { builtinPlugins } from "../../plugins/index.js";
import type { CommandOption, PluginCommand } from "../command.js";
import type { PluginDefinition } from "../plugin.js";
import { runCommand } from "./run.js";
import { validateCommand } from "./validate.js";
import { schemasCommand } from "./schemas.js";
import { addPluginCommands } from "./plugin-commands.js";
import { configArgument, configPluginDefinitions } from "./config-plugins.js";

// The CLI entry is the one core module that imports the built-in plugins (STYLE 1).
const pkg = JSON.parse(readFileSync(new URL("../../../package.json", import.meta.url), "utf8")) as { version: string };

const CONFIG_OPTION: CommandOption = { flags: "--config <path>", description: "the config file whose `plugins` bring this command" };

/** A command found through `--config` accepts that option, so the same words that found it parse. */
function withConfigOption(d: PluginDefinition): PluginDefinition {
  const commands = d.commands?.map((c): PluginCommand =>
    c.options?.some((o) => /(^|[ ,])--config\b/.test(o.flags)) ? c : { ...c, options: [...(c.options ?? []), CONFIG_OPTION] },
  );
  return { ...d, commands };
}

const configFile = configArgument(process.argv.slice(2));
const fromConfig = configFile === undefined ? [] : (await configPluginDefinitions(configFile)).map(withConfigOption);

const program = new Command("livetap")
  .description("live telemetry pipelines: sources -> operators -> sinks, watched live over SSE")
  .version(pkg.version, "-v, --version")
  .showHelpAfterError("(run with --help for usage)")
  .addCommand(runCommand(builtinPlugins))
  .addCommand(validateCommand(builtinPlugins));
// Commands contributed by plugins (the sse sink's `tap` and `hash-password`, users' own).
addPluginCommands(program, [...builtinPlugins, ...fromConfig], (message) => process.stderr.write(`livetap: warning: ${message}\n`));
program.addCommand(schemasCommand(builtinPlugins), { hidden: true });

program.parseAsync(process.argv).catch((err: unknown) => {
  process.stderr.write(`livetap: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
