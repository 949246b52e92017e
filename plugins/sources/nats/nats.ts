import { Observable, type SchedulerLike } from "rxjs";
import type { Consumer, ConsumerConfig, ConsumerMessages, JetStreamClient, JetStreamManager, JsMsg } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { DELIVERY, DRY_RUN, inject, injectable, LOGGER, METRICS, OPTIONS, PluginProblems, SCHEDULER, type Counter, type Delivery, type HistoryQuery, type LiveEventInput, type Logger, type ComponentMetrics, type Source, type SourceHistory, type StoredAt } from "../../../core/index.js";
import { NatsLink, NatsNotReady, toCreatedAt } from "../../../core/kit.js";
import { decodeMessage } from "./decode.js";
import type { NatsSourceOptions } from "./options.js";

const NS_PER_MS = 1_000_000;
/** Messages asked for per pull; the server's maxAckPending and our maxPendingEvents bound the rest. */
const PULL_BATCH = 512;
const ID = /^(\d{1,16})-(\d{1,16})$/;
/** How long `storedAt` waits for a connection not made yet (a node just started, NATS down). */
const STORED_AT_WAIT_MS = 5_000;

interface Connected {
  js: JetStreamClient;
  jsm: JetStreamManager;
  /** E of the ids `<E>-<S>`: the stream's creation time (ms), the same on every node. */
  epoch: number;
  /** `deliver: "new"` of an ordered consumer: new since start(), not since the first pull. */
  firstNewSeq: number;
}

/**
 * Reads a JetStream stream (CONTRACT 8). Without `durable`: an ordered ephemeral consumer,
 * every node gets every event. With one: a shared pull consumer, each message to one node,
 * acked once settled (at-least-once; unacked messages are redelivered after `ackWaitMs`).
 * Each event's id is `<E>-<S>` from the stream, so it is the same on every node; `history()`
 * serves any id of this stream from JetStream.
 */
@injectable()
export class NatsSource implements Source {
  private readonly link: NatsLink;
  private connected: Connected | undefined;
  private messages: ConsumerMessages | undefined;
  private draining = false;
  /** Wakes each subscription of events() that waits for its connection, at drain or unsubscribe. */
  private readonly wakeOnEnd = new Set<() => void>();
  private readonly unparsed: Counter;
  private readonly redelivered: Counter;

  constructor(
    @inject(OPTIONS) private readonly opts: NatsSourceOptions,
    @inject(LOGGER) private readonly log: Logger,
    @inject(METRICS) metrics: ComponentMetrics,
    @inject(SCHEDULER) private readonly scheduler: SchedulerLike,
    @inject(DELIVERY) private readonly delivery: Delivery,
    @inject(DRY_RUN) private readonly dryRun: boolean,
  ) {
    this.link = new NatsLink(opts, log, scheduler, { onConnected: (nc) => this.onConnected(nc) });
    const own = metrics.own;
    this.unparsed = own.counter("unparsed", "Stream messages that were not events (kept as nats.unparsed)");
    this.redelivered = own.counter("redelivered", "Messages JetStream delivered again (not acked in time, or a sink failed them)");
  }

  start(): Promise<void> {
    return this.link.start(this.dryRun);
  }

  events(): Observable<LiveEventInput> {
    return new Observable<LiveEventInput>((sub) => {
      let closed = false;
      let wake!: () => void;
      // Resolves at drain or unsubscribe: a source still connecting or looking for its stream ends at once.
      const ended = new Promise<undefined>((resolve) => (wake = () => resolve(undefined)));
      this.wakeOnEnd.add(wake);
      if (this.draining) wake(); // drained before the pipeline subscribed (a stop right after start)
      const over = () => closed || this.draining;
      const run = async () => {
        const c = (await Promise.race([this.link.ready.then(() => this.connected!), ended])) ?? undefined;
        if (!c || over()) return;
        const consumer = await this.liveConsumer(c);
        if (over()) return;
        const messages = await consumer.consume({ max_messages: Math.min(PULL_BATCH, this.opts.maxPendingEvents) });
        this.messages = messages;
        // Not awaited: close() resolves once the loop below has run out (before the first pull answered too).
        if (over()) void messages.close().catch(() => undefined);
        for await (const m of messages) {
          sub.next(this.toEvent(m, c.epoch));
          // At the bound: stop taking messages; the client pulls no more until we iterate again.
          if (this.delivery.full) await new Promise<void>((resolve) => this.delivery.onCapacity(resolve));
          if (closed) break;
        }
      };
      run().then(
        () => sub.complete(),
        (err: unknown) => {
          if (!over()) sub.error(err);
          else sub.complete();
        },
      );
      return () => {
        closed = true;
        this.wakeOnEnd.delete(wake);
        wake();
        void this.messages?.close().catch(() => undefined);
      };
    });
  }

  drain(): void {
    this.draining = true;
    for (const wake of this.wakeOnEnd) wake();
    void this.messages?.close().catch(() => undefined);
  }

  async stop(): Promise<void> {
    this.drain();
    await this.link.close();
  }

  /** Past events of this stream for a sink downstream (any-node resume, `since=`). */
  async history(q: HistoryQuery): Promise<SourceHistory | undefined> {
    // Not connected yet (NATS down, or the stream not there yet): answer once connected, as the
    // live read starts only then too. Answering "unknown" now gave a gap frame, and a live read
    // that then started at the stream's first event duplicated what the client had.
    await this.link.ready;
    const c = this.connected!;
    let startSeq: number | undefined;
    let startTime: string | undefined;
    if (q.afterId !== undefined) {
      const m = ID.exec(q.afterId);
      if (!m || Number(m[1]) !== c.epoch) return undefined; // not this stream's id
      startSeq = Number(m[2]) + 1;
    } else if (q.since !== undefined) {
      startTime = toCreatedAt(q.since);
      if (startTime === undefined) return undefined;
    } else return undefined;
    const state = (await c.jsm.streams.info(this.opts.stream)).state;
    let gap = false;
    if (startSeq !== undefined) {
      // Sequences before first_seq are gone (retention): that part of what was missed is lost.
      if (startSeq < state.first_seq) {
        gap = true;
        startSeq = state.first_seq;
      }
      if (startSeq > state.last_seq) return { gap, events: new Observable((s) => s.complete()) };
    } else gap = removedSince(state, Date.parse(startTime!));
    return { gap, events: this.readRange(c, startSeq, startTime, q.limit) };
  }

  /**
   * When JetStream stored the event `<E>-<S>` of this stream (its server clock): one message
   * get, bounded by the JetStream request timeout. Lets a sink date a stream id, whose `E` is
   * the stream's creation and says nothing of the event (CONTRACT 4: the reconnect grace).
   */
  async storedAt(id: string): Promise<StoredAt | undefined> {
    const m = ID.exec(id);
    if (!m) return undefined;
    const c = this.connected ?? (await this.connectedWithin(STORED_AT_WAIT_MS));
    if (Number(m[1]) !== c.epoch) return undefined;
    const seq = Number(m[2]);
    if (seq < 1) return "missing";
    const stored = await c.jsm.streams.getMessage(this.opts.stream, { seq });
    return stored ? stored.time.getTime() : "missing";
  }

  /** The connection once ready; rejects after `ms` (an HTTP request waits on it, unlike a history page). */
  private connectedWithin(ms: number): Promise<Connected> {
    return new Promise<Connected>((resolve, reject) => {
      const timer = this.scheduler.schedule(() => reject(new Error(`not connected to NATS within ${ms} ms`)), ms);
      this.link.ready.then(
        () => {
          timer.unsubscribe();
          resolve(this.connected!);
        },
        (err: unknown) => {
          timer.unsubscribe();
          reject(err instanceof Error ? err : new Error(String(err)));
        },
      );
    });
  }

  /** The stream did not exist yet when this source first looked (an edge started before any ingest node). */
  private streamWasMissing = false;

  private async onConnected(nc: NatsConnection): Promise<void> {
    const { jetstream, jetstreamManager } = await import("@nats-io/jetstream");
    let jsm: JetStreamManager;
    try {
      jsm = await jetstreamManager(nc);
    } catch (err) {
      throw new PluginProblems([{ path: ["servers"], message: `JetStream is not available on ${nc.getServer()} (start nats-server with -js): ${errText(err)}` }]);
    }
    let created: string;
    let lastSeq: number;
    try {
      const info = await jsm.streams.info(this.opts.stream);
      created = info.created;
      // A stream that appeared after this source started holds only events newer than the start.
      lastSeq = this.streamWasMissing ? info.state.first_seq - 1 : info.state.last_seq;
    } catch (err) {
      if (/not found/i.test(errText(err))) {
        this.streamWasMissing = true;
        // Edges may start before the ingest node that creates it: run waits, validate reports.
        throw new NatsNotReady(["stream"], `stream "${this.opts.stream}" does not exist on ${nc.getServer()}: create it (a nats sink with "createStream" does)`);
      }
      throw err;
    }
    const epoch = Date.parse(created.replace(/(\.\d{3})\d+/, "$1"));
    const c: Connected = { js: jetstream(nc), jsm, epoch, firstNewSeq: lastSeq + 1 };
    if (this.opts.durable) await this.ensureDurable(c);
    this.connected = c;
  }

  private deliverConfig(): Partial<ConsumerConfig> {
    const d = this.opts.deliver;
    if (typeof d === "object") return { deliver_policy: "by_start_time" as ConsumerConfig["deliver_policy"], opt_start_time: toCreatedAt(d.since) };
    return { deliver_policy: (d === "last-per-subject" ? "last_per_subject" : d) as ConsumerConfig["deliver_policy"] };
  }

  /** Creates the durable consumer, or adapts the settings an existing one can change. */
  private async ensureDurable(c: Connected): Promise<void> {
    const name = this.opts.durable!;
    const settings = {
      filter_subject: this.opts.filterSubject,
      max_ack_pending: this.opts.maxAckPending,
      ack_wait: this.opts.ackWaitMs * NS_PER_MS,
    };
    try {
      const existing = await c.jsm.consumers.info(this.opts.stream, name);
      const cfg = existing.config;
      if ((cfg.filter_subject ?? undefined) !== settings.filter_subject || cfg.max_ack_pending !== settings.max_ack_pending || cfg.ack_wait !== settings.ack_wait) {
        await c.jsm.consumers.update(this.opts.stream, name, settings);
        this.log.info({ durable: name }, `updated durable consumer ${name} (filterSubject, maxAckPending, ackWaitMs)`);
      }
      return;
    } catch (err) {
      if (!/not found/i.test(errText(err))) throw err;
    }
    try {
      await c.jsm.consumers.add(this.opts.stream, {
        durable_name: name,
        ack_policy: "explicit" as ConsumerConfig["ack_policy"],
        ...this.deliverConfig(),
        ...settings,
      });
    } catch (err) {
      // Another node of the split created it first: that one is used.
      if (/exist|in use/i.test(errText(err))) return;
      throw err;
    }
    this.log.info({ durable: name }, `created durable consumer ${name}`);
  }

  private liveConsumer(c: Connected): Promise<Consumer> {
    if (this.opts.durable) return c.js.consumers.get(this.opts.stream, this.opts.durable);
    const d: Partial<ConsumerConfig> =
      this.opts.deliver === "new" ? { deliver_policy: "by_start_sequence" as ConsumerConfig["deliver_policy"], opt_start_seq: c.firstNewSeq } : this.deliverConfig();
    return c.js.consumers.get(this.opts.stream, {
      filter_subjects: this.opts.filterSubject,
      deliver_policy: d.deliver_policy,
      ...(d.opt_start_time ? { opt_start_time: d.opt_start_time } : {}),
      ...(d.opt_start_seq ? { opt_start_seq: d.opt_start_seq } : {}),
    });
  }

  private toEvent(m: JsMsg, epoch: number): LiveEventInput {
    const event = decodeMessage(m.data, `${epoch}-${m.seq}`, m.subject);
    if (event.type === "nats.unparsed") this.unparsed.inc();
    if (m.redelivered) this.redelivered.inc();
    if (!this.opts.durable) return this.delivery.track([event])[0]!; // ordered: nothing to ack, tracked for the bound
    return this.delivery.track([event], (s) => {
      // A sink's failure is worth a redelivery; an event an operator lost is not (it would be lost again).
      if (s.failed > 0) m.nak(1000);
      else m.ack();
    })[0]!;
  }

  /**
   * Reads stored messages from `startSeq` (or `startTime`) with a short-lived consumer: at most
   * `limit`, and no further than what matched when the read began.
   */
  private readRange(c: Connected, startSeq: number | undefined, startTime: string | undefined, limit: number): Observable<LiveEventInput> {
    return new Observable<LiveEventInput>((sub) => {
      let closed = false;
      let messages: ConsumerMessages | undefined;
      let name: string | undefined;
      const run = async () => {
        const info = await c.jsm.consumers.add(this.opts.stream, {
          ack_policy: "none" as ConsumerConfig["ack_policy"],
          ...(startSeq !== undefined
            ? { deliver_policy: "by_start_sequence" as ConsumerConfig["deliver_policy"], opt_start_seq: startSeq }
            : { deliver_policy: "by_start_time" as ConsumerConfig["deliver_policy"], opt_start_time: startTime }),
          filter_subject: this.opts.filterSubject,
          mem_storage: true,
          num_replicas: 1,
          inactive_threshold: 30_000 * NS_PER_MS,
        });
        name = info.name;
        const wanted = Math.min(limit, info.num_pending);
        if (wanted === 0 || closed) return;
        const consumer = c.js.consumers.getConsumerFromInfo(info);
        messages = await consumer.consume({ max_messages: Math.min(PULL_BATCH, wanted) });
        let read = 0;
        for await (const m of messages) {
          if (closed) break;
          sub.next(decodeMessage(m.data, `${c.epoch}-${m.seq}`, m.subject));
          if (++read >= wanted) break;
        }
      };
      const cleanup = () => {
        void messages?.close();
        if (name) void c.jsm.consumers.delete(this.opts.stream, name).catch(() => undefined);
      };
      run().then(
        () => {
          cleanup();
          sub.complete();
        },
        (err: unknown) => {
          cleanup();
          sub.error(err);
        },
      );
      return () => {
        closed = true;
        cleanup();
      };
    });
  }
}

/**
 * Whether retention removed messages stored at or after `startMs` (by the stream's own
 * timestamps): something was removed and the oldest one left is newer; when nothing is left,
 * whether the last one removed was stored since then.
 */
function removedSince(state: { first_seq: number; messages: number; first_ts: string; last_ts: string }, startMs: number): boolean {
  if (state.first_seq <= 1) return false;
  if (state.messages === 0) return startMs <= Date.parse(state.last_ts);
  return startMs < Date.parse(state.first_ts);
}

function errText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
