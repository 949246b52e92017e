/**
 * `livetap`: the plugin API, everything a source, operator or sink (built-in or a user's)
 * needs and nothing else. Plugins import this module (`import { defineSource } from "livetap"`)
 * and, for shared helpers (addresses, filters, bounded writers, passwords), `livetap/kit`
 * (core/kit.ts); plugin tests also `livetap/testing` (core/testing.ts).
 *
 * - Plugins: `defineSource` / `defineOperator` / `defineSink`, the `Source` / `Operator` /
 *   `Sink` interfaces, `PluginProblems` for startup problems at option paths, the types of
 *   CLI commands a plugin contributes.
 * - Events: `LiveEvent` (what flows), `LiveEventInput` (what a source emits).
 * - Services, injected by token (`@inject(SCHEDULER)`): OPTIONS, LOGGER, METRICS, SCHEDULER,
 *   CHECKPOINTS, HTTP_SERVERS, DELIVERY, with their types; `untrackedDelivery` stands in for
 *   DELIVERY in a plugin built by hand.
 */
import "reflect-metadata";

export { inject, injectable } from "tsyringe";

// Plugins.
export {
  defineSource,
  defineOperator,
  defineSink,
  PluginProblems,
  type Problem,
  type Source,
  type Operator,
  type Sink,
  type PluginDefinition,
  type PluginKind,
  type PluginInstanceOf,
  type PluginClass,
  type OptionsSchema,
  type JsonSchemaObject,
} from "./plugin.js";
/** CLI commands a definition contributes (`commands`), registered by the CLI. */
export type { PluginCommand, CommandArgument, CommandOption, CommandContext } from "./command.js";

// Events.
export type { LiveEvent, LiveEventInput } from "./event.js";

// Services: the tokens and what they resolve to.
export { OPTIONS, LOGGER, METRICS, SCHEDULER, CHECKPOINTS, HTTP_SERVERS, DELIVERY, TAPS, PIPELINE, HISTORY, DRY_RUN, type Token } from "./tokens.js";
export type { History, HistoryPage, HistoryQuery, SourceHistory, StoredAt } from "./history.js";
export type { ComponentTaps, ComponentStats, PipelineView } from "./taps.js";
export type { Logger } from "pino";
export type { ComponentMetrics, Metrics, MetricFactory } from "./metrics/component.js";
export type { Counter, Gauge, Histogram, MetricSample, MetricType, MetricInfo } from "./metrics/registry.js";
export type { CheckpointStore } from "./state/checkpoints.js";
export type { HttpServers, HttpServerOptions, BoundServer } from "./http/pool.js";
export { DeliveryOptionsShape, untrackedDelivery, type DeliveryOptions, type Delivery, type Settlement, type SettleCallback } from "./delivery.js";
