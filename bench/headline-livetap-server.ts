/**
 * The livetap side of bench/headline.bench.ts (forked by it; not run by hand): the pipeline of
 * the config in argv[2] (JSON), started exactly as `livetap run` starts it (built-in plugins,
 * process metrics, asyncScheduler), minus the log lines. Replies `{ t: "ready", pid }`, and
 * `{ t: "counter", value }` to `{ t: "counter", id }` (the blackhole case counts this way);
 * `{ t: "stop" }` stops the pipeline and exits.
 */
import "reflect-metadata";
import pino from "pino";
import { asyncScheduler } from "rxjs";
import { loadConfigObject } from "../core/config/index.js";
import { HttpServerPool } from "../core/http/pool.js";
import { MetricsRegistry, registerProcessMetrics } from "../core/metrics/registry.js";
import { Pipeline } from "../core/pipeline/pipeline.js";
import { PluginRegistry } from "../core/registry.js";
import { builtinPlugins } from "../plugins/index.js";

const logger = pino({ level: "warn" });
const registry = new PluginRegistry().register(...builtinPlugins);
const config = await loadConfigObject(JSON.parse(process.argv[2]) as object, registry, { baseDir: process.cwd() });
const metrics = new MetricsRegistry();
registerProcessMetrics(metrics, () => asyncScheduler.now());
const pipeline = new Pipeline(config, { logger, metrics, scheduler: asyncScheduler, http: new HttpServerPool(logger), dataDir: config.dataDir });
await pipeline.start();

process.on("message", (m: { t: "counter"; id: string } | { t: "stop" }) => {
  if (m.t === "counter") process.send!({ t: "counter", value: metrics.counter(m.id).value });
  // An orderly exit, so --cpu-prof / --heap-prof write their profile.
  else void pipeline.stop().finally(() => process.exit(0));
});
process.on("disconnect", () => process.exit(0));
process.send!({ t: "ready", pid: process.pid });
