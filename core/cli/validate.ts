import { asyncScheduler } from "rxjs";
import { Command } from "commander";
import pino from "pino";
import type { PluginDefinition } from "../plugin.js";
import { PluginRegistry } from "../registry.js";
import { MetricsRegistry } from "../metrics/registry.js";
import { HttpServerPool } from "../http/pool.js";
import { Pipeline } from "../pipeline/pipeline.js";
import { addCommonOptions, reportFailure, resolveConfig, type CommonOptions } from "./run.js";

export function validateCommand(builtins: readonly PluginDefinition[]): Command {
  return addCommonOptions(new Command("validate"))
    .description("check the config (options, graph, env vars, plugins) and that it can start (addresses free, files readable); prints `config OK` or every problem")
    .option("--static", "only check the file, do not try to bind addresses")
    .action(async (opts: CommonOptions & { static?: boolean }) => {
      process.exitCode = await validate(opts, builtins);
    });
}

async function validate(opts: CommonOptions & { static?: boolean }, builtins: readonly PluginDefinition[]): Promise<number> {
  const registry = new PluginRegistry().register(...builtins);
  try {
    const { config } = await resolveConfig(opts, registry);
    for (const w of config.warnings) process.stderr.write(`warning: ${w}\n`);
    if (!opts.static) {
      // A dry start: creates the components, runs their start() and binds their listeners,
      // then closes them without letting any event flow.
      const logger = pino({ level: "silent" });
      const pipeline = new Pipeline(config, { logger, metrics: new MetricsRegistry(), scheduler: asyncScheduler, http: new HttpServerPool(logger), dataDir: config.dataDir });
      await pipeline.startOnly();
    }
    process.stdout.write("config OK\n");
    return 0;
  } catch (err) {
    return reportFailure(err, opts.debug === true);
  }
}
