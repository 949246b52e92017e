import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { asyncScheduler } from "rxjs";
import { Command, Option } from "commander";
import type { Logger } from "pino";
import type { PluginDefinition } from "../plugin.js";
import { PluginRegistry } from "../registry.js";
import { ConfigError, formatProblem, type PipelineConfig } from "../config/model.js";
import { loadConfigFile, loadConfigObject } from "../config/index.js";
import { MetricsRegistry, registerProcessMetrics } from "../metrics/registry.js";
import { HttpServerPool } from "../http/pool.js";
import { Pipeline } from "../pipeline/pipeline.js";
import { createLogger, type LogFormat } from "./logger.js";
import { defaultConfig, defaultConfigSummary } from "./default-config.js";

export interface CommonOptions {
  config?: string;
  debug?: boolean;
  logLevel: string;
  logFormat: LogFormat;
}

export const DEFAULT_CONFIG_FILE = "livetap.json";

export function addCommonOptions(cmd: Command): Command {
  return cmd
    .option("-c, --config <path>", `config file (default: ./${DEFAULT_CONFIG_FILE} when it exists)`)
    .addOption(new Option("--log-level <level>", "log level").choices(["trace", "debug", "info", "warn", "error", "fatal", "silent"]).default("info"))
    .addOption(new Option("--log-format <format>", "stderr log format").choices(["auto", "json", "pretty"]).default("auto"))
    .option("--debug", "debug logs and stack traces");
}

/** Which config a command uses: --config, else ./livetap.json, else the embedded default. */
export async function resolveConfig(
  opts: CommonOptions,
  registry: PluginRegistry,
): Promise<{ config: PipelineConfig; source: string; embedded: boolean }> {
  const file = opts.config ?? (existsSync(DEFAULT_CONFIG_FILE) ? DEFAULT_CONFIG_FILE : undefined);
  if (file) return { config: await loadConfigFile(resolve(file), registry), source: file, embedded: false };
  return { config: await loadConfigObject(defaultConfig, registry, { baseDir: process.cwd() }), source: "(built-in default)", embedded: true };
}

/** Prints every problem as `PATH: message` on stderr; the stack only with --debug. */
export function reportFailure(err: unknown, debug: boolean, log?: Logger): number {
  if (err instanceof ConfigError) {
    for (const p of err.problems) process.stderr.write(`${formatProblem(p)}\n`);
    return 1;
  }
  const message = err instanceof Error ? err.message : String(err);
  if (log) log.fatal({ err: debug ? err : undefined }, message);
  else process.stderr.write(`livetap: ${message}\n${debug && err instanceof Error ? `${err.stack}\n` : ""}`);
  return 1;
}

export function runCommand(builtins: readonly PluginDefinition[]): Command {
  return addCommonOptions(new Command("run"))
    .description("run the pipeline until SIGINT/SIGTERM (or until every source has ended), then drain and exit")
    .action(async (opts: CommonOptions) => {
      process.exitCode = await run(opts, builtins);
    });
}

async function run(opts: CommonOptions, builtins: readonly PluginDefinition[]): Promise<number> {
  const log = createLogger(opts.debug ? "debug" : opts.logLevel, opts.logFormat);
  const registry = new PluginRegistry().register(...builtins);
  let pipeline: Pipeline;
  let summary: string;
  try {
    const { config, source, embedded } = await resolveConfig(opts, registry);
    for (const w of config.warnings) log.warn(w);
    if (embedded) log.info(`no --config and no ./${DEFAULT_CONFIG_FILE}: running the built-in default, ${defaultConfigSummary}`);
    else log.info(`config ${source}`);
    const metrics = new MetricsRegistry();
    registerProcessMetrics(metrics, () => asyncScheduler.now());
    pipeline = new Pipeline(config, { logger: log, metrics, scheduler: asyncScheduler, http: new HttpServerPool(log), dataDir: config.dataDir });
    await pipeline.start();
    summary = describeComponents(config);
  } catch (err) {
    return reportFailure(err, opts.debug === true);
  }
  log.info(`running ${summary}; press Ctrl-C to stop`);

  let signals = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    signals++;
    if (signals === 1) {
      log.info(`${signal}: stopping (send it again to force)`);
      void pipeline.stop();
    } else {
      log.warn(`${signal} again: exiting without draining`);
      process.exit(130);
    }
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);

  const result = await pipeline.done;
  process.off("SIGINT", onSignal);
  process.off("SIGTERM", onSignal);
  if (result.failed.length) {
    log.error(`stopped; failed components: ${result.failed.join(", ")}`);
    return 1;
  }
  log.info("stopped cleanly");
  return 0;
}

/** `sources demo(demo); sinks live(sse)`: what is running, for the start-up line. */
export function describeComponents(config: PipelineConfig): string {
  const groups = new Map<string, string[]>();
  for (const c of config.components) {
    const key = c.kind === "source" ? "sources" : c.kind === "operator" ? "operators" : "sinks";
    groups.set(key, [...(groups.get(key) ?? []), c.name === c.type ? c.name : `${c.name} (${c.type})`]);
  }
  return [...groups].map(([k, names]) => `${k} ${names.join(", ")}`).join("; ");
}
