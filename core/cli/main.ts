#!/usr/bin/env node
import "reflect-metadata";
import { readFileSync } from "node:fs";
import { Command } from "commander";
import { builtinPlugins } from "../../plugins/index.js";
import { runCommand } from "./run.js";
import { validateCommand } from "./validate.js";
import { schemasCommand } from "./schemas.js";
import { tapCommand } from "./tap.js";
import { hashPasswordCommand } from "./hash-password.js";

// The CLI entry is the one core module that imports the built-in plugins (STYLE 1).
const pkg = JSON.parse(readFileSync(new URL("../../../package.json", import.meta.url), "utf8")) as { version: string };

const program = new Command("livetap")
  .description("live telemetry pipelines: sources -> operators -> sinks, watched live over SSE")
  .version(pkg.version, "-v, --version")
  .showHelpAfterError("(run with --help for usage)")
  .addCommand(runCommand(builtinPlugins))
  .addCommand(validateCommand(builtinPlugins))
  .addCommand(tapCommand())
  .addCommand(hashPasswordCommand())
  .addCommand(schemasCommand(builtinPlugins), { hidden: true });

program.parseAsync(process.argv).catch((err: unknown) => {
  process.stderr.write(`livetap: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
