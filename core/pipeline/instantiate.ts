import "reflect-metadata";
import { container as rootContainer, type DependencyContainer } from "tsyringe";
import { asyncScheduler, type SchedulerLike } from "rxjs";
import pino, { type Logger } from "pino";
import { join } from "node:path";
import type { PluginDefinition, PluginInstanceOf, PluginKind } from "../plugin.js";
import { CHECKPOINTS, DELIVERY, DRY_RUN, HISTORY, HTTP_SERVERS, LOGGER, METRICS, OPTIONS, PIPELINE, SCHEDULER, TAPS } from "../tokens.js";
import { NO_HISTORY, type History } from "../history.js";
import { MetricsRegistry } from "../metrics/registry.js";
import { componentMetrics } from "../metrics/component.js";
import { FileCheckpointStore, ReadOnlyCheckpointStore, type CheckpointStore } from "../state/checkpoints.js";
import { HttpServerPool, type HttpServers } from "../http/pool.js";
import { DeliveryHub } from "./delivery.js";
import { PipelineTaps } from "./taps.js";

/** The process-wide services every component shares. */
export interface Services {
  logger: Logger;
  metrics: MetricsRegistry;
  scheduler: SchedulerLike;
  http: HttpServerPool;
  dataDir: string;
  /** Delivery acknowledgements: one hub per pipeline, a `Delivery` per component. */
  delivery: DeliveryHub;
  /** validate's dry start: components read their checkpoints but never write them, and check without waiting (see `DRY_RUN`). */
  dryRun?: boolean;
  /** Component outputs and counters (TAPS, PIPELINE), filled in by the pipeline. */
  taps: PipelineTaps;
}

/** Per-component services the pipeline adds (the sink's view of history). */
export interface ComponentServices {
  history?: History;
}

export function defaultServices(overrides: Partial<Services> = {}): Services {
  const logger = overrides.logger ?? pino({ level: "silent" });
  const metrics = overrides.metrics ?? new MetricsRegistry();
  const scheduler = overrides.scheduler ?? asyncScheduler;
  return {
    logger,
    metrics,
    scheduler,
    delivery: overrides.delivery ?? new DeliveryHub({ metrics, scheduler, logger }),
    taps: overrides.taps ?? new PipelineTaps(),
    http: overrides.http ?? new HttpServerPool(logger),
    dataDir: overrides.dataDir ?? join(process.cwd(), ".livetap"),
  };
}

const KIND_FOLDER: Record<PluginKind, string> = { source: "sources", operator: "operators", sink: "sinks" };

/**
 * Resolves one component in its own child container: OPTIONS, LOGGER, METRICS (its `own`
 * metrics under its path), CHECKPOINTS, the HTTP facade and DELIVERY are scoped to it; the metrics
 * registry behind METRICS and SCHEDULER are shared. A fresh root container per
 * pipeline keeps tsyringe's global `container` untouched.
 */
export function instantiate<K extends PluginKind>(
  definition: PluginDefinition<K>,
  options: unknown,
  services: Services,
  name = definition.type,
  parent: DependencyContainer = rootContainer.createChildContainer(),
  /** Told the component's checkpoint store when the component asks for one (to probe it at startup). */
  onCheckpoints?: (store: FileCheckpointStore) => void,
  own: ComponentServices = {},
): PluginInstanceOf[K] {
  const path = `${KIND_FOLDER[definition.kind]}.${name}`;
  const c = parent.createChildContainer();
  const dir = join(services.dataDir, KIND_FOLDER[definition.kind], name);
  const file = new FileCheckpointStore(dir, () => services.scheduler.now());
  // The dry start (`livetap validate`) reads real state but writes nothing.
  const store: CheckpointStore = services.dryRun ? new ReadOnlyCheckpointStore(dir) : file;
  let told = false;
  // A factory, so only components that inject CHECKPOINTS need a usable dataDir.
  const checkpoints = (): CheckpointStore => {
    if (!told) onCheckpoints?.(file);
    told = true;
    return store;
  };
  const http: HttpServers = services.http.forComponent(path);
  c.register(OPTIONS, { useValue: options });
  c.register(LOGGER, { useValue: services.logger.child({ component: path }) });
  c.register(METRICS, { useValue: componentMetrics(services.metrics, path) });
  c.register(SCHEDULER, { useValue: services.scheduler });
  c.register(CHECKPOINTS, { useFactory: checkpoints });
  c.register(HTTP_SERVERS, { useValue: http });
  c.register(TAPS, { useValue: services.taps });
  c.register(PIPELINE, { useValue: services.taps });
  c.register(DELIVERY, { useValue: services.delivery.forComponent(path, definition.kind, options) });
  c.register(DRY_RUN, { useValue: services.dryRun === true });
  c.register(HISTORY, { useValue: own.history ?? NO_HISTORY });
  const Plugin = definition.plugin;
  if (Plugin.inject) {
    // Plain JS plugins list their tokens instead of using decorators.
    return new Plugin(...Plugin.inject.map((t) => c.resolve(t))) as PluginInstanceOf[K];
  }
  return c.resolve(Plugin as never) as PluginInstanceOf[K];
}
