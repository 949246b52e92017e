import type { Logger } from "pino";
import type { SchedulerAction, SchedulerLike } from "rxjs";
import type { Delivery, SettleCallback, Settlement } from "../delivery.js";
import type { LiveEvent, LiveEventInput } from "../event.js";
import type { PluginKind } from "../plugin.js";
import { LATENCY_BUCKETS_MS, type Counter, type Histogram, type MetricsRegistry } from "../metrics/registry.js";
import { componentMetrics } from "../metrics/component.js";

/**
 * The bookkeeping behind `Delivery` (core/delivery.ts). A tracked batch is one `Receipt`
 * holding a reference count: each event of the batch starts with one reference per consumer
 * of its source; an operator feeding k consumers adds k - 1 per event it emits; every sink
 * confirmation, failure or operator drop releases one. At zero the batch is settled and its
 * source's callback runs. Events carry their receipt under a symbol key, which object spread
 * copies (an operator's `{ ...event }` keeps it) and JSON never serialises.
 */
const RECEIPT: unique symbol = Symbol("livetap.receipt");
type Carrier = { [RECEIPT]?: Receipt };

export function receiptOf(event: object): Receipt | undefined {
  return (event as Carrier)[RECEIPT];
}
/**
 * When the source tracked the event's batch: the moment it received it (one clock read per
 * batch, which stamping then need not repeat per event). Undefined for an untracked event.
 */
export function trackedAt(event: object): number | undefined {
  return (event as Carrier)[RECEIPT]?.startedAt;
}
/** Core's stamping makes a new object per event: the receipt moves with it. */
export function carryReceipt(from: object, to: object): void {
  const r = (from as Carrier)[RECEIPT];
  if (r !== undefined) (to as Carrier)[RECEIPT] = r;
}

class Receipt {
  failed = 0;
  settled = false;
  constructor(
    readonly source: SourceLedger,
    readonly events: number,
    public refs: number,
    readonly startedAt: number,
    readonly onSettled: SettleCallback | undefined,
  ) {}
}

/** What the hub needs of the pipeline: the clock, metrics and a logger. */
export interface DeliveryHubOptions {
  metrics: MetricsRegistry;
  scheduler: SchedulerLike;
  logger: Logger;
  /**
   * Consumers assumed for a source until the pipeline says how many it has. 0 (plugins built
   * alone, as in unit tests) settles every batch as soon as it is tracked.
   */
  defaultFanout?: number;
}

/** What emits events: a source or an operator, counted once per event it emits. */
export interface EventCounter {
  eventsOut: number;
}

/**
 * Per operator: events out and drops; events in are what its inputs emitted (every operator
 * receives all of its inputs' output), so one count per emitted event serves both. Used to
 * name an operator that swallows events, and for the pipeline's live counters.
 */
export class OperatorLedger implements EventCounter {
  eventsOut = 0;
  dropped = 0;
  /** Events already settled as lost on its account, so they are not blamed twice. */
  lost = 0;
  /** Its inputs, set by the pipeline. */
  inputs: EventCounter[] = [];
  constructor(readonly path: string) {}

  get eventsIn(): number {
    let n = 0;
    for (let i = 0; i < this.inputs.length; i++) n += this.inputs[i].eventsOut;
    return n;
  }

  /** Events it took and neither emitted, dropped nor was charged as lost: swallowed (or thrown on). */
  get held(): number {
    return this.eventsIn - this.eventsOut - this.dropped - this.lost;
  }
}

/**
 * Per sink: events it was handed, events it failed (its own `fail`, or core's when it threw on one or stopped
 * consuming) and events it dropped on purpose (`drop`), for the pipeline's live counters.
 */
export class SinkLedger {
  /** Events core handed to it (counted by the pipeline). */
  eventsIn = 0;
  failed = 0;
  dropped = 0;
  constructor(readonly path: string) {}
}

/** Per source: its unsettled batches (oldest first), the bound, who waits for capacity. */
class SourceLedger implements EventCounter {
  pending = 0;
  /** Events the source emitted (counted by the pipeline). */
  eventsOut = 0;
  fanout: number;
  /** Operators downstream of this source, set by the pipeline. */
  downstream: OperatorLedger[] = [];
  readonly open = new Set<Receipt>();
  private waiters: (() => void)[] = [];
  private sweeping?: { unsubscribe(): void };
  /** The pipeline's run is over. */
  private ended = false;

  constructor(
    readonly path: string,
    readonly hub: DeliveryHub,
    readonly maxPending: number,
    readonly ackTimeoutMs: number,
  ) {
    this.fanout = hub.defaultFanout;
    componentMetrics(hub.metrics, path).own.gauge("pending", "Events of this source not yet settled (CONTRACT 7)", () => this.pending);
  }

  get full(): boolean {
    return this.pending >= this.maxPending;
  }

  track<T extends LiveEventInput>(events: T[], onSettled: SettleCallback | undefined): T[] {
    const n = events.length;
    if (n === 0 || this.fanout === 0) {
      // Nobody downstream (a plugin built alone, or an empty batch): settled as it is tracked.
      onSettled?.({ events: n, failed: 0, lost: 0 });
      return events;
    }
    const receipt = new Receipt(this, n, n * this.fanout, this.hub.scheduler.now(), onSettled);
    for (let i = 0; i < n; i++) (events[i] as Carrier)[RECEIPT] = receipt;
    this.pending += n;
    this.open.add(receipt);
    this.sweeping ??= this.hub.scheduler.schedule(sweepAction, this.sweepEveryMs(), this);
    return events;
  }

  onCapacity(resume: () => void): void {
    if (!this.full) resume();
    else this.waiters.push(resume);
  }

  closed(receipt: Receipt): void {
    this.open.delete(receipt);
    this.pending -= receipt.events;
    if (this.waiters.length > 0 && !this.full) {
      const ready = this.waiters;
      this.waiters = [];
      for (const resume of ready) resume();
    }
  }

  /**
   * The run is over (sinks done): what is still open settles only through a timeout, when an
   * operator swallowed it. The sweep goes on just for those, so its timer does not keep the
   * process alive for events a sink never confirmed.
   */
  runEnded(): void {
    this.ended = true;
    if (this.leaking().length > 0) return;
    this.sweeping?.unsubscribe();
    this.sweeping = undefined;
  }

  /** Operators downstream holding more events than they emitted, dropped or were charged as lost. */
  private leaking(): OperatorLedger[] {
    return this.downstream.filter((o) => o.held > 0);
  }

  sweepEveryMs(): number {
    return Math.max(10, Math.ceil(this.ackTimeoutMs / 4));
  }

  /**
   * Batches older than ackTimeoutMs settle as lost only when an operator downstream holds
   * more events than it emitted or dropped: then an operator swallowed them. Otherwise they
   * are queued in a sink (slow disk, nats down) and keep waiting, because settling them would
   * let a file checkpoint pass events that are not safe yet.
   */
  sweep(): boolean {
    const now = this.hub.scheduler.now();
    for (const r of this.open) {
      if (now - r.startedAt < this.ackTimeoutMs) break;
      const leaking = this.leaking();
      if (leaking.length === 0) break;
      const lost = Math.min(r.events, r.refs);
      // Charge the swallowed events to the operators holding them, so one is not blamed twice.
      let left = lost;
      for (const o of leaking) {
        const take = Math.min(left, o.held);
        o.lost += take;
        left -= take;
      }
      this.hub.timedOut(this, leaking, lost);
      this.hub.settle(r, lost);
    }
    if (this.open.size === 0 || (this.ended && this.leaking().length === 0)) {
      this.sweeping = undefined;
      return false;
    }
    return true;
  }
}

function sweepAction(this: SchedulerAction<SourceLedger>, ledger?: SourceLedger): void {
  if (ledger && ledger.sweep()) this.schedule(ledger, ledger.sweepEveryMs());
}

/**
 * One per pipeline: creates each component's `Delivery`, settles receipts and reports
 * timeouts and sink failures. Its counters are `pipeline.ack-timeouts`,
 * `pipeline.sink-failures` and the `pipeline.settle-latency` histogram (ms).
 */
export class DeliveryHub {
  readonly metrics: MetricsRegistry;
  readonly scheduler: SchedulerLike;
  readonly defaultFanout: number;
  private readonly logger: Logger;
  private readonly sources = new Map<string, SourceLedger>();
  private readonly operators = new Map<string, OperatorLedger>();
  private readonly sinks = new Map<string, SinkLedger>();
  private readonly latency: Histogram;
  private readonly timeouts: Counter;
  private readonly sinkFailures: Counter;
  private lastWarnAt = -Infinity;
  private unreportedFailures = 0;

  constructor(o: DeliveryHubOptions) {
    this.metrics = o.metrics;
    this.scheduler = o.scheduler;
    this.logger = o.logger;
    this.defaultFanout = o.defaultFanout ?? 0;
    this.latency = o.metrics.histogram("pipeline.settle-latency", "Milliseconds from a source tracking a batch to its settlement", LATENCY_BUCKETS_MS);
    this.timeouts = o.metrics.counter("pipeline.ack-timeouts", "Events settled as lost after ackTimeoutMs (an operator swallowed them)");
    this.sinkFailures = o.metrics.counter("pipeline.sink-failures", "Events a sink failed to deliver");
  }

  /** The `Delivery` of one component; `options` are its parsed options (maxPendingEvents, ackTimeoutMs). */
  forComponent(path: string, kind: PluginKind, options: unknown): Delivery {
    if (kind === "source") {
      const o = (options ?? {}) as { maxPendingEvents?: unknown; ackTimeoutMs?: unknown };
      const ledger = new SourceLedger(
        path,
        this,
        typeof o.maxPendingEvents === "number" ? o.maxPendingEvents : 10_000,
        typeof o.ackTimeoutMs === "number" ? o.ackTimeoutMs : 10_000,
      );
      this.sources.set(path, ledger);
      return new ComponentDelivery(this, path, ledger, undefined);
    }
    if (kind === "operator") {
      const ledger = new OperatorLedger(path);
      this.operators.set(path, ledger);
      return new ComponentDelivery(this, path, undefined, ledger);
    }
    const ledger = new SinkLedger(path);
    this.sinks.set(path, ledger);
    return new ComponentDelivery(this, path, undefined, undefined, ledger);
  }

  /** After the run: ack-timeout sweeps stop once only events no sink will confirm are left. */
  close(): void {
    for (const ledger of this.sources.values()) ledger.runEnded();
  }

  source(path: string): SourceLedger | undefined {
    return this.sources.get(path);
  }
  operator(path: string): OperatorLedger | undefined {
    return this.operators.get(path);
  }
  sink(path: string): SinkLedger | undefined {
    return this.sinks.get(path);
  }

  /** Releases one reference of `event`'s batch (a sink confirmation or an operator drop). */
  release(event: LiveEvent): void {
    const r = (event as Carrier)[RECEIPT];
    if (r !== undefined && --r.refs === 0) this.settle(r, 0);
  }

  /** Adds references for an event that goes to `extra` more consumers than one. */
  fanOut(event: LiveEvent, extra: number): void {
    const r = (event as Carrier)[RECEIPT];
    if (r !== undefined && !r.settled) r.refs += extra;
  }

  fail(sinkPath: string, event: LiveEvent, err: unknown): void {
    this.sinkFailures.inc();
    const sink = this.sinks.get(sinkPath);
    if (sink) sink.failed++;
    const now = this.scheduler.now();
    this.unreportedFailures++;
    if (now - this.lastWarnAt >= 1000) {
      this.lastWarnAt = now;
      const message = err instanceof Error ? err.message : String(err);
      this.logger.error(
        { component: sinkPath, err: message, events: this.unreportedFailures },
        `${sinkPath} failed ${this.unreportedFailures === 1 ? "an event" : `${this.unreportedFailures} events`} (${message}); they count as not delivered for their source's retry (pipeline.sink-failures)`,
      );
      this.unreportedFailures = 0;
    }
    const r = (event as Carrier)[RECEIPT];
    if (r === undefined) return;
    r.failed++;
    if (--r.refs === 0) this.settle(r, 0);
  }

  settle(r: Receipt, lost: number): void {
    if (r.settled) return;
    r.settled = true;
    r.refs = 0;
    r.source.closed(r);
    this.latency.observe(this.scheduler.now() - r.startedAt);
    const settlement: Settlement = { events: r.events, failed: Math.min(r.failed, r.events), lost: Math.min(lost, r.events) };
    try {
      r.onSettled?.(settlement);
    } catch (err) {
      this.logger.error({ component: r.source.path, err: err instanceof Error ? err.message : String(err) }, `${r.source.path} settle callback threw`);
    }
  }

  timedOut(source: SourceLedger, leaking: OperatorLedger[], lost: number): void {
    this.timeouts.inc(lost);
    const names = leaking.map((o) => o.path).join(", ");
    this.logger.warn(
      { component: source.path, operators: leaking.map((o) => o.path), lost },
      `${lost} events of ${source.path} settled as lost after ackTimeoutMs (${source.ackTimeoutMs} ms): ${names} took them without emitting or dropping them, or threw on them (an operator must emit each event or call DELIVERY.drop())`,
    );
  }
}

class ComponentDelivery implements Delivery {
  constructor(
    private readonly hub: DeliveryHub,
    private readonly path: string,
    private readonly source: SourceLedger | undefined,
    private readonly op: OperatorLedger | undefined,
    private readonly sink?: SinkLedger,
  ) {}

  track<T extends LiveEventInput>(events: T[], onSettled?: SettleCallback): T[] {
    if (!this.source) throw new Error(`${this.path}: only a source tracks events`);
    return this.source.track(events, onSettled);
  }
  get pending(): number {
    return this.source?.pending ?? 0;
  }
  get full(): boolean {
    return this.source?.full ?? false;
  }
  onCapacity(resume: () => void): void {
    if (this.source) this.source.onCapacity(resume);
    else resume();
  }

  drop(event: LiveEvent): void {
    if (this.op) this.op.dropped++;
    else if (this.sink) this.sink.dropped++;
    this.hub.release(event);
  }
  replace<T extends LiveEvent>(from: LiveEvent, to: T): T {
    if (from !== to) carryReceipt(from, to);
    return to;
  }

  confirm(event: LiveEvent): void {
    this.hub.release(event);
  }
  confirmAll(events: readonly LiveEvent[]): void {
    for (let i = 0; i < events.length; i++) this.hub.release(events[i]);
  }
  fail(event: LiveEvent, err: unknown): void {
    this.hub.fail(this.path, event, err);
  }
}
