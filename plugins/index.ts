/**
 * The built-in plugins, registered with the same API as a user's plugin module. One import and
 * one list entry per plugin; nothing else here knows about them.
 */
import type { PluginDefinition } from "../core/index.js";
import demo from "./sources/demo/index.js";
import stdin from "./sources/stdin/index.js";
import webhook from "./sources/webhook/index.js";
import fileSource from "./sources/file/index.js";
import syslog from "./sources/syslog/index.js";
import otlp from "./sources/otlp/index.js";
import natsSource from "./sources/nats/index.js";
import blackhole from "./sinks/blackhole/index.js";
import consoleSink from "./sinks/console/index.js";
import file from "./sinks/file/index.js";
import sse from "./sinks/sse/index.js";
import natsSink from "./sinks/nats/index.js";
import filter from "./operators/filter/index.js";
import sample from "./operators/sample/index.js";
import throttle from "./operators/throttle/index.js";
import metric from "./operators/metric/index.js";

export const builtinPlugins: PluginDefinition[] = [
  // sources
  demo,
  stdin,
  webhook,
  fileSource,
  syslog,
  otlp,
  natsSource,
  // operators
  filter,
  sample,
  throttle,
  metric,
  // sinks
  blackhole,
  consoleSink,
  file,
  sse,
  natsSink,
];
