/**
 * livetap's plugin API: everything a source, operator or sink (built-in or a user's) needs.
 * Plugins import only this module (`import { defineSource } from "livetap"`).
 */
import "reflect-metadata";

export { inject, injectable } from "tsyringe";
export * from "./event.js";
export * from "./plugin.js";
export type { PluginCommand, CommandArgument, CommandOption, CommandContext } from "./command.js";
export * from "./tokens.js";
export type { ComponentTaps, ComponentStats, PipelineView } from "./taps.js";
export { DeliveryOptions, DeliveryOptionsShape, untrackedDelivery, type Delivery, type Settlement, type SettleCallback } from "./delivery.js";
export { recordToEvent, lineToEvent, toEventType, isPlainObject, type RecordOptions } from "./lib/record.js";
export { parseAddress, isLoopback, urlFor, type HostPort } from "./lib/address.js";
export {
  MetricsRegistry,
  LATENCY_BUCKETS_MS,
  isMetricId,
  type Counter,
  type Gauge,
  type Histogram,
  type MetricSample,
  type MetricType,
  type MetricInfo,
} from "./metrics/registry.js";
export type { CheckpointStore } from "./state/checkpoints.js";
export { CheckpointCorrupt, CheckpointRetryLater } from "./state/checkpoints.js";
export type { HttpServers, HttpServerOptions, BoundServer } from "./http/pool.js";
export type { Logger } from "pino";
export {
  compileFilter,
  isFilterError,
  kebabToCamel,
  RESERVED_PARAMS,
  type CompiledFilter,
  type FilterConditions,
  type FilterError,
  type CompileOptions,
  compileEventCondition,
  EventCondition,
  EventConditions,
  FieldComparison,
  type EventMatcher,
  SEVERITY_NAMES,
  severityRank,
  eventSeverity,
  numericValue,
} from "./lib/filter-match.js";
export { fieldReader, fieldRefProblem, parseFieldRef, FieldRef, FIELD_REF_HELP, MAX_FIELD_REF_LENGTH, type FieldReader } from "./lib/field-ref.js";
export { hashPassword, verifyPassword, isPasswordHash } from "./lib/password.js";
export { didYouMean } from "./lib/did-you-mean.js";
export { dropCounter, componentMetricId } from "./metrics/drops.js";
export { BoundedWriter, endOfBurst, type BoundedWriterOptions, type DropReport, type WritableLike } from "./lib/bounded-writer.js";
export { HostPortOption, HttpsFilesOption } from "./lib/option-schemas.js";
export { utf8Boundary, utf8End } from "./lib/utf8.js";
export { SecretSet } from "./lib/secret-set.js";
export { inflateBody, SUPPORTED_ENCODINGS, type InflateResult } from "./lib/inflate.js";
export { FailureBackoff, DEFAULT_FAILURE_BACKOFF, type FailureBackoffOptions } from "./lib/failure-backoff.js";
