import {
  EMPTY,
  Subject,
  catchError,
  connectable,
  defer,
  finalize,
  map,
  merge,
  of,
  retry,
  share,
  takeUntil,
  tap,
  type Connectable,
  type Observable,
  type Subscription,
} from "rxjs";
import { container as rootContainer } from "tsyringe";
import { EventIdGenerator, RECEIVED_AT, isEventType, toCreatedAt, type LiveEvent, type LiveEventInput, type StampedEvent } from "../event.js";
import { PluginProblems, type Operator, type Problem, type Sink, type Source } from "../plugin.js";
import { ConfigError, type ComponentConfig, type PipelineConfig } from "../config/model.js";
import { plainObjectClass } from "../lib/plain-objects.js";
import { EventSubject } from "../lib/event-subject.js";
import { toEventType } from "../lib/record.js";
import { instantiate, type Services } from "./instantiate.js";
import { DeliveryHub, carryReceipt, trackedAt } from "./delivery.js";
import { SinkInput } from "./sink-input.js";
import { HistoryRouter } from "./history.js";
import { PipelineTaps } from "./taps.js";
import { componentCounts } from "./counts.js";
import type { Counter } from "../metrics/registry.js";
import type { FileCheckpointStore } from "../state/checkpoints.js";

/** How a run ended: `failed` lists components that stopped on an error (`sinks.out`). */
export interface RunResult {
  failed: string[];
}

export interface PipelineOptions {
  /** How long a graceful stop waits for sources to drain before cutting them off. */
  drainTimeoutMs?: number;
  /** How many consecutive errors an operator may throw before its branch is given up. */
  maxOperatorRestarts?: number;
}

interface Built {
  config: ComponentConfig;
  source?: Source;
  operator?: Operator;
  sink?: Sink;
}

const CANONICAL_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;
const StampedEventObject = plainObjectClass<StampedEvent>();

/**
 * Turns a validated DAG into RxJS streams. Each source is subscribed once (connectable) and
 * only after every sink subscribed, so no consumer misses the first events; operators are
 * shared so a fan-out runs them once; each sink gets the merge of its inputs.
 */
export class Pipeline {
  private readonly built: Built[] = [];
  private readonly stop$ = new Subject<void>();
  private readonly cutOff$ = new Subject<void>();
  /** Paths of the sources whose stream has not ended yet (named when a drain is cut off). */
  private readonly sourcesOpen = new Set<string>();
  private readonly failed = new Set<string>();
  private readonly ids = new EventIdGenerator();
  private readonly connections: Subscription[] = [];
  /** Core's own subscription to each sink's inputs (see SinkInput). */
  private readonly sinkFeeds: Subscription[] = [];
  private runPromise?: Promise<RunResult>;
  private readonly validTypes = new Set<string>();
  private isoMs = -1;
  private iso = "";
  /** The last source createdAt found canonical (CANONICAL_TIME). */
  private lastCanonical: string | undefined = undefined; // undefined matches an absent createdAt: the result is undefined either way
  private stopping = false;
  private readonly drainTimeoutMs: number;
  private readonly maxOperatorRestarts: number;
  private readonly errors: Counter;
  private readonly services: Services;

  constructor(
    private readonly config: PipelineConfig,
    services: Omit<Services, "delivery" | "taps"> & { delivery?: DeliveryHub; taps?: PipelineTaps },
    options: PipelineOptions = {},
  ) {
    this.services = { ...services, delivery: services.delivery ?? new DeliveryHub(services), taps: services.taps ?? new PipelineTaps() };
    this.drainTimeoutMs = options.drainTimeoutMs ?? 10_000;
    this.maxOperatorRestarts = options.maxOperatorRestarts ?? 1000;
    this.errors = services.metrics.counter("pipeline.errors", "Errors thrown by components");
    this.live = liveComponents(config);
    this.services.taps.describe(config.components, this.live, {
      counts: componentCounts(this.services.delivery, services.metrics),
      threw: (path, err) => {
        this.errors.inc();
        this.services.logger.error({ component: path, err: errText(err) }, `a tap of ${path} threw (${errText(err)}); it was unsubscribed`);
      },
    });
  }
  /** Components on a path to a sink: only they are ever subscribed. */
  private readonly live: Set<string>;

  /**
   * Creates every component, runs their start(), binds the HTTP listeners, then wires and
   * connects the streams. Throws ConfigError with every startup problem (an address in use,
   * an unreadable TLS file...) after undoing what had started.
   */
  async start(): Promise<void> {
    await this.prepare(false);
    this.runPromise = this.wire();
  }

  /**
   * A dry start for `livetap validate`: every startup check (check() where a plugin has it,
   * else start()), then everything closed again. Checkpoints are read, never written.
   */
  async startOnly(): Promise<void> {
    await this.prepare(true);
    await this.closeAll();
  }

  private async prepare(dry: boolean): Promise<void> {
    const problems: Problem[] = [];
    const parent = rootContainer.createChildContainer();
    const stores: { config: ComponentConfig; store: FileCheckpointStore }[] = [];
    const history = new HistoryRouter(this.config, this.services, parent, (name) => this.built.find((b) => b.config.name === name)?.source);
    for (const c of this.config.components) {
      try {
        const own = c.kind === "sink" ? { history: history.forSink(c) } : {};
        const instance = instantiate(
          c.definition,
          c.options,
          dry ? { ...this.services, dryRun: true } : this.services,
          c.name,
          parent,
          (store) => stores.push({ config: c, store }),
          own,
        );
        this.built.push({ config: c, [c.kind]: instance });
      } catch (err) {
        problems.push(...toProblems(c, err, "cannot be created"));
      }
    }
    problems.push(...(await probeDataDir(this.services.dataDir, stores, dry)));
    // Start what could be created even after a failure, so one run reports every problem.
    {
      await Promise.all(
        this.built.map(async (b) => {
          const plugin = b.source ?? b.sink;
          try {
            await (dry && plugin?.check ? plugin.check() : plugin?.start?.());
          } catch (err) {
            problems.push(...toProblems(b.config, err, "failed to start"));
          }
        }),
      );
    }
    problems.push(...(await this.services.http.listenAll()));
    if (problems.length > 0) {
      await this.closeAll();
      throw new ConfigError(problems);
    }
  }

  /** Resolves when every sink finished (all sources ended by themselves, or stop() drained them). */
  get done(): Promise<RunResult> {
    if (!this.runPromise) throw new Error("pipeline not started");
    return this.runPromise;
  }

  /**
   * Graceful stop: sources stop accepting (drain() when they have it, else unsubscribe);
   * in-flight events reach the sinks, which flush and close. Sources that do not finish
   * draining within drainTimeoutMs are cut off.
   */
  async stop(): Promise<RunResult> {
    if (!this.runPromise) {
      await this.closeAll();
      return { failed: [] };
    }
    if (!this.stopping) {
      this.stopping = true;
      this.services.logger.info("stopping: draining sources, flushing sinks");
      this.stop$.next();
      for (const b of this.built) {
        try {
          b.source?.drain?.();
        } catch (err) {
          this.report(b.config.path, err);
        }
      }
      const cut = this.services.scheduler.schedule(() => {
        if (this.sourcesOpen.size > 0) {
          const names = [...this.sourcesOpen];
          this.services.logger.warn({ sources: names }, `${names.join(", ")} did not finish draining within ${this.drainTimeoutMs} ms: cut off (events still in flight there may be lost)`);
        }
        this.cutOff$.next();
      }, this.drainTimeoutMs);
      void this.runPromise.finally(() => cut.unsubscribe());
    }
    return this.runPromise;
  }

  private async wire(): Promise<RunResult> {
    const outputs = new Map<string, Observable<LiveEvent>>();
    const sources: Connectable<LiveEvent>[] = [];
    const sinkRuns: Promise<void>[] = [];
    const inputsOf = (c: ComponentConfig) => merge(...c.inputs.map((name) => outputs.get(name)!));

    for (const b of this.built) {
      const c = b.config;
      if (b.source) {
        this.trackFanOut(c);
        const shared = connectable(this.sourceStream(c, b.source), { connector: () => new EventSubject<LiveEvent>(), resetOnDisconnect: false });
        sources.push(shared);
        outputs.set(c.name, shared);
      } else if (b.operator) {
        // One no sink reads is never subscribed: left unwired, it counts nothing.
        if (!this.live.has(c.name)) continue;
        const guarded = inputsOf(c).pipe(this.guardOperator(c, b.operator));
        // Multicast only a fan-out: a single consumer needs no Subject in between.
        outputs.set(c.name, this.consumerCount(c.name) > 1 ? guarded.pipe(share({ connector: () => new EventSubject<LiveEvent>() })) : guarded);
      } else if (b.sink) {
        sinkRuns.push(this.runSink(c, b.sink, inputsOf(c)));
      }
    }
    // Sinks may subscribe after a microtask or two; let them before any event flows.
    await new Promise((resolve) => setImmediate(resolve));
    for (const s of sources) this.connections.push(s.connect());

    await Promise.all(sinkRuns);
    for (const s of this.sinkFeeds) s.unsubscribe();
    await this.closeAll();
    for (const s of this.connections) s.unsubscribe();
    return { failed: [...this.failed] };
  }

  /** Types are few and repeat: remember the valid ones instead of testing each event's. */
  private validType(type: string): string {
    if (this.validTypes.has(type)) return type;
    if (!isEventType(type)) return toEventType(type) ?? "event.unknown";
    if (this.validTypes.size < 10_000) this.validTypes.add(type);
    return type;
  }

  /** The count of what component `name` emits (its delivery ledger). */
  private counterOf(name: string) {
    const c = this.config.components.find((x) => x.name === name);
    if (!c) return undefined;
    return c.kind === "source" ? this.services.delivery.source(c.path) : this.services.delivery.operator(c.path);
  }

  private consumerCount(name: string): number {
    return this.config.components.reduce((n, c) => n + (this.live.has(c.name) ? c.inputs.filter((i) => i === name).length : 0), 0);
  }

  /** Tells the source's delivery ledger how many consumers each event reaches and which operators it crosses. */
  private trackFanOut(c: ComponentConfig): void {
    const ledger = this.services.delivery.source(c.path);
    if (!ledger) return;
    ledger.fanout = this.consumerCount(c.name);
    const downstream = new Set<string>();
    const walk = (name: string) => {
      for (const d of this.config.components) {
        if (d.kind === "operator" && this.live.has(d.name) && d.inputs.includes(name) && !downstream.has(d.path)) {
          downstream.add(d.path);
          walk(d.name);
        }
      }
    };
    walk(c.name);
    ledger.downstream = [...downstream].map((p) => this.services.delivery.operator(p)).filter((o) => o !== undefined);
  }

  private sourceStream(c: ComponentConfig, source: Source): Observable<LiveEvent> {
    const { metrics, scheduler } = this.services;
    const received = metrics.counter("events.received");
    const ledger = this.services.delivery.source(c.path);
    const taps = this.services.taps.feed(c.path);
    // Sources emit runs of one type: its counter is looked up when the type changes.
    let lastType = "";
    let typeCounter: Counter | undefined;
    // A source with drain() ends by itself when asked; the others are unsubscribed at stop.
    const until = source.drain ? this.cutOff$ : merge(this.stop$, this.cutOff$);
    return defer(() => {
      this.sourcesOpen.add(c.path);
      return source.events();
    }).pipe(
      finalize(() => this.sourcesOpen.delete(c.path)),
      takeUntil(until),
      map((input) => {
        const event = this.stamp(input, trackedAt(input) ?? scheduler.now());
        received.inc();
        if (ledger) ledger.eventsOut++;
        if (event.type !== lastType || typeCounter === undefined) {
          lastType = event.type;
          typeCounter = metrics.eventTypeCounter(lastType);
        }
        typeCounter.inc();
        taps.emit(event);
        return event;
      }),
      catchError((err: unknown) => {
        this.report(c.path, err);
        return EMPTY;
      }),
    );
  }

  /**
   * Completes what a source left to core (id, createdAt, a valid type, data, receive time:
   * when the source tracked the event, else when it emitted it) in
   * a fresh object whose keys are always in wire order: `{id, type, createdAt, text, details,
   * data}` serialises like Stalwart's events, and one object shape keeps the hot path monomorphic.
   */
  private stamp(input: LiveEventInput, now: number): LiveEvent {
    const given = input.createdAt;
    // Sources hand the same createdAt string to the events of one ms (syslog's IsoClock):
    // the one checked last needs no second regex test.
    const createdAt =
      given === this.lastCanonical ? given
      : typeof given === "string" && CANONICAL_TIME.test(given) ? (this.lastCanonical = given)
      : toCreatedAt(given);
    if (now !== this.isoMs) {
      // Formatting a Date costs more than the rest of stamping; events within a ms share it.
      this.isoMs = now;
      this.iso = new Date(now).toISOString();
    }
    // Built key by key (no `delete`, which would turn the object into a slow dictionary), as
    // a StampedEvent: every key inline, receive time and receipt included, one allocation.
    const event = new StampedEventObject();
    event.id = typeof input.id === "string" ? input.id : this.ids.next(now);
    event.type = this.validType(input.type);
    event.createdAt = createdAt ?? this.iso;
    if (input.text !== undefined) event.text = input.text;
    if (input.details !== undefined) event.details = input.details;
    event.data = typeof input.data === "object" && input.data !== null ? input.data : {};
    event[RECEIVED_AT] = now;
    carryReceipt(input, event);
    return event;
  }

  /**
   * An operator that throws loses the event it was on, not the stream: the error is reported
   * with the component's name and the operator is subscribed again (its state reset). One
   * that keeps failing without passing an event is given up after maxOperatorRestarts.
   */
  private guardOperator(c: ComponentConfig, operator: Operator) {
    const fn = operator.operator();
    const { delivery } = this.services;
    const ledger = delivery.operator(c.path);
    const extra = this.consumerCount(c.name) - 1;
    const taps = this.services.taps.feed(c.path);
    if (ledger) ledger.inputs = c.inputs.map((name) => this.counterOf(name)).filter((x) => x !== undefined);
    // One count per emitted event (events in are the inputs' counts); the fan-out references
    // of CONTRACT 7 and the taps are served in the same step. An event the operator throws on
    // is held by it and settles as lost after ackTimeoutMs, like a swallowed one.
    const counted = (input: Observable<LiveEvent>): Observable<LiveEvent> =>
      input.pipe(
        fn,
        tap(
          !ledger
            ? (e) => taps.emit(e)
            : extra > 0
              ? (e) => {
                  ledger.eventsOut++;
                  delivery.fanOut(e, extra);
                  taps.emit(e);
                }
              : (e) => {
                  ledger.eventsOut++;
                  taps.emit(e);
                },
        ),
      );
    return (input: Observable<LiveEvent>) =>
      counted(input).pipe(
        retry({
          count: this.maxOperatorRestarts,
          resetOnSuccess: true,
          // A synchronous notifier: the operator is subscribed again before the next event.
          delay: (err: unknown) => {
            this.errors.inc();
            this.services.logger.error({ component: c.path, err: errText(err) }, `${c.path} threw; event lost, operator restarted`);
            return of(0);
          },
        }),
        catchError((err: unknown) => {
          this.report(c.path, err, "gave up after repeated errors");
          return EMPTY;
        }),
      );
  }

  private async runSink(c: ComponentConfig, sink: Sink, input: Observable<LiveEvent>): Promise<void> {
    const { metrics, scheduler, delivery } = this.services;
    const latency = metrics.histogram("event.latency");
    // A sink that does not confirm events itself has them once they are handed to it.
    const confirmOnHandOff = sink.acknowledges !== true;
    const handOff = new SinkInput((event, err) => {
      this.errors.inc();
      delivery.fail(c.path, event, err);
    });
    const gone = new Error(`${c.path} no longer consumes its input`);
    const ledger = delivery.sink(c.path);
    this.sinkFeeds.push(
      input.subscribe({
        next: (e) => {
          if (ledger) ledger.eventsIn++;
          const at = (e as StampedEvent)[RECEIVED_AT];
          if (at !== undefined) latency.observe(scheduler.now() - at);
          if (!handOff.consuming) delivery.fail(c.path, e, gone);
          else if (handOff.next(e) && confirmOnHandOff) delivery.release(e);
        },
        error: (err: unknown) => handOff.error(err),
        complete: () => handOff.complete(),
      }),
    );
    try {
      await sink.consume(handOff.events);
    } catch (err) {
      this.report(c.path, err);
    }
  }

  private report(path: string, err: unknown, what = "failed"): void {
    this.failed.add(path);
    this.errors.inc();
    this.services.logger.error({ component: path, err: errText(err) }, `${path} ${what}: ${errText(err)}`);
  }

  private closing?: Promise<void>;
  /** Stops every sink and source (safe twice) and closes the HTTP listeners. */
  private closeAll(): Promise<void> {
    this.closing ??= (async () => {
      await Promise.all(
        this.built.map(async (b) => {
          try {
            await (b.sink ?? b.source)?.stop?.();
          } catch (err) {
            this.report(b.config.path, err, "failed to stop");
          }
        }),
      );
      await this.services.http.closeAll();
      this.services.delivery.close();
    })();
    return this.closing;
  }
}

/** Names of the components on a path to a sink (reverse walk over inputs). */
function liveComponents(config: PipelineConfig): Set<string> {
  const byName = new Map(config.components.map((c) => [c.name, c]));
  const live = new Set<string>();
  const visit = (name: string) => {
    if (live.has(name)) return;
    live.add(name);
    for (const i of byName.get(name)?.inputs ?? []) visit(i);
  };
  for (const c of config.components) if (c.kind === "sink") visit(c.name);
  return live;
}

function toProblems(c: ComponentConfig, err: unknown, what: string): Problem[] {
  const prefix = [c.kind === "source" ? "sources" : c.kind === "operator" ? "operators" : "sinks", c.name];
  if (err instanceof PluginProblems) return err.problems.map((p) => ({ path: [...prefix, ...p.path], message: p.message }));
  return [{ path: prefix, message: `${what}: ${errText(err)}` }];
}

function errText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * `dataDir: cannot create /proc/1/livetap (ENOENT, ...), needed by sources.app for its
 * checkpoints`: one problem for all the components that keep state there, found before any
 * starts (`validate`'s dry start included).
 */
async function probeDataDir(dataDir: string, stores: { config: ComponentConfig; store: FileCheckpointStore }[], dry: boolean): Promise<Problem[]> {
  const failed = new Map<string, string[]>();
  for (const { config, store } of stores) {
    try {
      await store.probe({ leaveNothing: dry });
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      failed.set(reason, [...(failed.get(reason) ?? []), config.path]);
    }
  }
  return [...failed].map(([reason, users]) => ({
    path: ["dataDir"],
    message: `${JSON.stringify(dataDir)} is not usable: ${reason}; ${users.join(", ")} ${users.length === 1 ? "keeps" : "keep"} checkpoints there (set "dataDir" to a writable directory)`,
  }));
}
