/**
 * Runs a real Pipeline from a config object (built-in plugins plus a few test ones), with a
 * logger whose lines a test can read. For plugin tests that need core's delivery tracking.
 */
import { until as untilEvery20ms } from "./until.js";
import "reflect-metadata";
import { Writable } from "node:stream";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { asyncScheduler, Observable, Subject } from "rxjs";
import { z } from "zod";
import { DELIVERY, HISTORY, type History, DeliveryOptionsShape, defineSink, defineSource, inject, injectable, type Delivery, type LiveEvent, type LiveEventInput, type PluginDefinition, type Settlement, type Sink, type Source } from "../../core/index.js";
import { MetricsRegistry } from "../../core/testing.js";
import { loadConfigObject } from "../../core/config/index.js";
import { HttpServerPool } from "../../core/http/pool.js";
import { Pipeline } from "../../core/pipeline/pipeline.js";
import { PluginRegistry } from "../../core/registry.js";
import { builtinPlugins } from "../../plugins/index.js";

/** Events a `collect` sink got, per sink name; a test awaits counts with `until`. */
export const collected = new Map<string, LiveEvent[]>();

/** A source a test pushes batches into; it tracks each and records how it settled. */
export class Feed {
  readonly subject = new Subject<LiveEventInput>();
  readonly settled: Settlement[] = [];
  delivery!: Delivery;
  push(batch: LiveEventInput[]): void {
    for (const e of this.delivery.track(batch, (s) => this.settled.push(s))) this.subject.next(e);
  }
  get settledEvents(): number {
    return this.settled.reduce((n, s) => n + s.events - s.failed - s.lost, 0);
  }
}
export const feeds = new Map<string, Feed>();

const FeedOptions = z.strictObject({ name: z.string(), ...DeliveryOptionsShape });
@injectable()
class FeedSource implements Source {
  private readonly feed: Feed;
  constructor(@inject(DELIVERY) delivery: Delivery, @inject(Symbol.for("livetap.options")) opts: { name: string }) {
    this.feed = feeds.get(opts.name) ?? new Feed();
    feeds.set(opts.name, this.feed);
    this.feed.delivery = delivery;
  }
  events(): Observable<LiveEventInput> {
    return this.feed.subject;
  }
}

const CollectOptions = z.strictObject({ name: z.string() });
@injectable()
class CollectSink implements Sink {
  constructor(@inject(Symbol.for("livetap.options")) private readonly opts: { name: string }) {}
  consume(events: Observable<LiveEvent>): Promise<void> {
    const store = collected.get(this.opts.name) ?? [];
    collected.set(this.opts.name, store);
    return new Promise((resolve, reject) => events.subscribe({ next: (e) => store.push(e), complete: resolve, error: reject }));
  }
}

/** The HISTORY service of each `history-probe` sink, by name. */
export const probes = new Map<string, History>();
@injectable()
class HistoryProbe implements Sink {
  constructor(@inject(Symbol.for("livetap.options")) opts: { name: string }, @inject(HISTORY) history: History) {
    probes.set(opts.name, history);
  }
  consume(events: Observable<LiveEvent>): Promise<void> {
    return new Promise((resolve, reject) => events.subscribe({ complete: resolve, error: reject }));
  }
}

const testPlugins = [
  defineSink({ type: "history-probe", description: "exposes its HISTORY", options: CollectOptions, plugin: HistoryProbe }),
  defineSource({ type: "feed", description: "test feed", options: FeedOptions, plugin: FeedSource }),
  defineSink({ type: "collect", description: "test collector", options: CollectOptions, plugin: CollectSink }),
];

export interface Run {
  pipeline: Pipeline;
  logs: string[];
  metrics: MetricsRegistry;
}

export async function startPipeline(raw: Record<string, unknown>, opts: { dryRun?: boolean; plugins?: PluginDefinition[] } = {}): Promise<Run> {
  const registry = new PluginRegistry().register(...builtinPlugins, ...testPlugins, ...(opts.plugins ?? []));
  const dataDir = await mkdtemp(join(tmpdir(), "livetap-run-"));
  const config = await loadConfigObject({ dataDir, ...raw }, registry, { baseDir: process.cwd() });
  const logs: string[] = [];
  const logger = pino(
    { level: "info" },
    new Writable({
      write(chunk, _enc, done) {
        logs.push((JSON.parse(String(chunk)) as { msg: string }).msg);
        done();
      },
    }),
  );
  const metrics = new MetricsRegistry();
  const pipeline = new Pipeline(config, { logger, metrics, scheduler: asyncScheduler, http: new HttpServerPool(logger), dataDir, dryRun: opts.dryRun });
  if (opts.dryRun) await pipeline.startOnly();
  else {
    await pipeline.start();
    // Sources are connected a tick after start(): a feed pushed before that reaches no one.
    const names = Object.values((raw.sources ?? {}) as Record<string, { type?: string; name?: string }>)
      .filter((s) => s.type === "feed")
      .map((s) => s.name!);
    await until(() => names.every((n) => feeds.get(n)?.subject.observed === true), "feeds subscribed");
  }
  return { pipeline, logs, metrics };
}

/** Polls `check` every 20 ms for up to 20 s (the shared helper with this file's pace). */
export const until = (check: () => boolean, what = "condition"): Promise<void> => untilEvery20ms(check, what, 20_000, 20);
