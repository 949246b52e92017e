import type { Logger } from "pino";
import type { SchedulerLike } from "rxjs";
import type { CheckpointStore } from "./state/checkpoints.js";
import type { HttpServers } from "./http/pool.js";
import type { ComponentMetrics } from "./metrics/component.js";
import type { Delivery } from "./delivery.js";
import type { History } from "./history.js";
import type { ComponentTaps, PipelineView } from "./taps.js";

/**
 * DI tokens. `Symbol.for` so a plugin package that bundles its own copy of livetap's API
 * still names the same services as the running core.
 */
export type Token<T> = symbol & { readonly __service?: T };
const token = <T>(name: string): Token<T> => Symbol.for(`livetap.${name}`) as Token<T>;

/** The component's options, parsed and defaulted by its schema. */
export const OPTIONS: Token<unknown> = token("options");
/** A pino logger bound to the component (`{ component: "sources.syslog" }`), writing to stderr. */
export const LOGGER: Token<Logger> = token("logger");
/** The process's metrics by full id, and the component's `own` (`operators.<name>.dropped`). */
export const METRICS: Token<ComponentMetrics> = token("metrics");
/** The clock and timer source: asyncScheduler in production, a TestScheduler in tests. */
export const SCHEDULER: Token<SchedulerLike> = token("scheduler");
/** A durable key-value store under `dataDir/<kind>/<name>/` (atomic writes). */
export const CHECKPOINTS: Token<CheckpointStore> = token("checkpoints");
/** Shared HTTP servers: two plugins on one address get one fastify instance. */
export const HTTP_SERVERS: Token<HttpServers> = token("http");
/** Delivery acknowledgements, scoped to the component (see `Delivery`). */
export const DELIVERY: Token<Delivery> = token("delivery");
/** Past events from the sources upstream of a sink (see `History`), scoped to the sink. */
export const HISTORY: Token<History> = token("history");
/**
 * True under `livetap validate`: start() only checks, so it reports as a problem what `run`
 * would merely wait for (an unreachable server).
 */
export const DRY_RUN: Token<boolean> = token("dry-run");
/** The outputs of this process's components, for live views (`outputs-of`). */
export const TAPS: Token<ComponentTaps> = token("taps");
/** The running pipeline's components and counters (`GET /api/pipeline`). */
export const PIPELINE: Token<PipelineView> = token("pipeline");
