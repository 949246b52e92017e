import { randomBytes } from "node:crypto";
import type { Observable, SchedulerLike, Subscription } from "rxjs";
import type { NatsConnection } from "@nats-io/transport-node";
import { DELIVERY, DRY_RUN, inject, injectable, LOGGER, METRICS, OPTIONS, SCHEDULER, type Counter, type Delivery, type LiveEvent, type Logger, type ComponentMetrics, type Sink } from "../../../core/index.js";
import { backoffMs, eventToJson, NatsLink, subjectTemplate } from "../../../core/kit.js";
import type { NatsSinkOptions } from "./options.js";
import { ensureStream } from "./stream.js";
import { AckPublisher, type PublishOutcome } from "./publisher.js";

/** Bytes kept for the header block (`Nats-Msg-Id`) within the server's max payload. */
const HEADER_ROOM = 128;

interface Pending {
  event: LiveEvent;
  /** Arrival order: retried events go out again in their original order. */
  ordinal: number;
}

/**
 * Publishes every event to JetStream and confirms it on its PubAck (CONTRACT 7, 8).
 *
 * At most `maxInFlight` publishes await their ack; later events wait here in arrival order.
 * That wait is bounded by the sources' `maxPendingEvents` (an event is pending until its ack),
 * so a slow or absent server backs the pipeline up instead of growing memory. A publish that
 * times out, or meets no JetStream (server restarting, no leader yet), is sent again after a
 * backoff with the same `Nats-Msg-Id`, so JetStream's duplicate window stores it once.
 */
@injectable()
export class NatsSink implements Sink {
  readonly acknowledges = true;
  private readonly link: NatsLink;
  private readonly subjectOf: (type: string) => string;
  /** Per process, so two nodes' (or two runs') equal ordinals never look like one message to the dedup window. */
  private readonly msgIdPrefix = randomBytes(6).toString("base64url");
  private readonly queue: Pending[] = [];
  private head = 0;
  private retries: Pending[] = [];
  private inFlight = 0;
  private ordinal = 0;
  private publisher: AckPublisher<Pending> | undefined;
  private maxPayload = 1024 * 1024;
  private retryAttempt = 0;
  private pumpQueued = false;
  private retryTimer: Subscription | undefined;
  private input: Subscription | undefined;
  private inputDone = false;
  private finish: (() => void) | undefined;
  private stopped = false;
  private readonly published: Counter;
  private readonly oversized: Counter;
  private readonly failures: Counter;
  private readonly retried: Counter;

  constructor(
    @inject(OPTIONS) private readonly opts: NatsSinkOptions,
    @inject(LOGGER) private readonly log: Logger,
    @inject(METRICS) metrics: ComponentMetrics,
    @inject(SCHEDULER) private readonly scheduler: SchedulerLike,
    @inject(DELIVERY) private readonly delivery: Delivery,
    @inject(DRY_RUN) private readonly dryRun: boolean,
  ) {
    const subjectOf = subjectTemplate(opts.subject);
    // Built once per type (a flat string the client encodes fast); bounded: types are few, but any source may invent them.
    const subjects = new Map<string, string>();
    this.subjectOf = (type) => {
      let s = subjects.get(type);
      if (s === undefined) {
        s = subjectOf(type);
        if (subjects.size < 1000) subjects.set(type, s);
      }
      return s;
    };
    this.link = new NatsLink(opts, log, scheduler, { onConnected: (nc) => this.onConnected(nc) });
    this.link.onReconnect(() => {
      // The server is back: what waits for a retry goes now.
      this.retryTimer?.unsubscribe();
      this.retryTimer = undefined;
      this.retryAttempt = 0;
      this.pump();
    });
    const own = metrics.own;
    this.published = own.counter("published", "Events this nats sink published and JetStream acknowledged");
    this.oversized = own.counter("oversized", "Events over the server's max payload, not published (logged)");
    this.failures = own.counter("failures", "Publishes JetStream refused for good (the event is failed, its source may retry)");
    this.retried = own.counter("retries", "Publishes sent again after a timeout or a server restart");
  }

  start(): Promise<void> {
    return this.link.start(this.dryRun);
  }

  consume(events: Observable<LiveEvent>): Promise<void> {
    if (this.stopped) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      this.finish = resolve;
      this.link.ready.then(
        () => this.pump(),
        (err: unknown) => {
          if (!this.stopped) reject(err);
        },
      );
      this.input = events.subscribe({
        next: (event) => {
          this.queue.push({ event, ordinal: this.ordinal++ });
          this.pump();
        },
        error: (err: unknown) => reject(err),
        complete: () => {
          this.inputDone = true;
          this.checkDone();
        },
      });
    });
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.input?.unsubscribe();
    this.retryTimer?.unsubscribe();
    // What is still unacked stays unsettled: its source re-reads or redelivers it.
    this.publisher?.close();
    await this.link.close();
    this.finish?.();
  }

  private async onConnected(nc: NatsConnection): Promise<void> {
    const { jetstreamManager } = await import("@nats-io/jetstream");
    let jsm;
    try {
      jsm = await jetstreamManager(nc);
    } catch (err) {
      throw jetStreamMissing(nc, err);
    }
    await ensureStream(jsm, this.opts, this.log, this.dryRun);
    this.maxPayload = nc.info?.max_payload ?? this.maxPayload;
    this.publisher?.close();
    this.publisher = new AckPublisher<Pending>(nc, this.opts.publishTimeoutMs, this.scheduler, (p, outcome) => this.settled(p, outcome));
  }

  private get waiting(): number {
    return this.queue.length - this.head + this.retries.length;
  }

  private pump(): void {
    // Disconnected: wait for the reconnect (which pumps) instead of queueing requests in the client.
    if (!this.publisher || this.retryTimer || this.stopped || !this.link.connected) return;
    if (this.retries.length > 0) {
      this.retries.sort((a, b) => a.ordinal - b.ordinal);
      this.queue.splice(this.head, 0, ...this.retries);
      this.retries = [];
    }
    while (this.inFlight < this.opts.maxInFlight && this.head < this.queue.length) {
      const p = this.queue[this.head]!;
      this.queue[this.head++] = undefined as never;
      this.publish(p);
    }
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue.splice(0, this.head);
      this.head = 0;
    }
    this.checkDone();
  }

  private publish(p: Pending): void {
    const { event } = p;
    const json = eventToJson(event);
    // Characters bound bytes from below (at most 3 bytes each): most events skip the byte count.
    if (json.length * 3 > this.maxPayload - HEADER_ROOM) {
      const bytes = Buffer.byteLength(json);
      if (bytes > this.maxPayload - HEADER_ROOM) return this.skipOversized(event, bytes);
    }
    this.inFlight++;
    // The ordinal, not the event id (any text a source chose): unique in this process, the same when sent again.
    this.publisher!.publish(this.subjectOf(event.type), json, `${this.msgIdPrefix}.${p.ordinal.toString(36)}`, p);
  }

  private settled(p: Pending, outcome: PublishOutcome): void {
    this.inFlight--;
    if (this.stopped) return;
    const { event } = p;
    if (outcome.ok) {
      this.retryAttempt = 0;
      this.published.inc();
      this.delivery.confirm(event);
      this.pumpSoon();
    } else if (outcome.retry) {
      this.retried.inc();
      this.retries.push(p);
      this.scheduleRetry(outcome.error);
    } else {
      this.failures.inc();
      this.log.error({ err: outcome.error, id: event.id, type: event.type }, `JetStream refused event ${event.id}: ${outcome.error}`);
      this.delivery.fail(event, new Error(outcome.error));
      this.pump();
    }
  }

  /**
   * Acks arrive one callback each, many per socket read: publishing one event per ack would
   * make the client write one message per syscall. Once per burst instead, after the acks.
   */
  private pumpSoon(): void {
    if (this.pumpQueued) return;
    this.pumpQueued = true;
    queueMicrotask(() => {
      this.pumpQueued = false;
      this.pump();
    });
  }

  private scheduleRetry(reason: string): void {
    if (this.retryTimer) return;
    const delay = backoffMs(this.retryAttempt++);
    if (this.retryAttempt <= 3 || this.retryAttempt % 10 === 0) {
      this.log.warn({ waiting: this.waiting, inFlight: this.inFlight }, `publish not acknowledged (${reason}); sending again in ${delay} ms`);
    }
    this.retryTimer = this.scheduler.schedule(() => {
      this.retryTimer = undefined;
      this.pump();
    }, delay);
  }

  private skipOversized(event: LiveEvent, bytes: number): void {
    this.oversized.inc();
    // Settled on purpose: retrying cannot make it fit, and a file source would re-read it forever.
    this.delivery.drop(event);
    if (this.oversized.value <= 10 || this.oversized.value % 1000 === 0) {
      this.log.warn({ id: event.id, type: event.type, bytes, maxPayload: this.maxPayload }, `event ${event.id} is ${bytes} bytes, over the server's max payload of ${this.maxPayload}: not published`);
    }
  }

  private checkDone(): void {
    if (this.inputDone && this.inFlight === 0 && this.waiting === 0) this.finish?.();
  }
}

function jetStreamMissing(nc: NatsConnection, err: unknown) {
  return new Error(`JetStream is not available on ${nc.getServer()} (start nats-server with -js): ${errText(err)}`);
}

function errText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
