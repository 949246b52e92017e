import type { SchedulerLike, Subscription } from "rxjs";
import type { History, HistoryQuery, LiveEvent, Logger } from "../../../core/index.js";
import { compareEventIds, NO_HISTORY } from "../../../core/kit.js";
import type { TraceClient, TraceClientHooks } from "./client.js";
import { GAP_FRAME } from "./frames.js";
import { LiveBuffer, replayHistory } from "./history-replay.js";
import { ReplayRing, whyUnserialisable, type RetainedEvent } from "./replay-ring.js";

/** Where a new client's stream starts: after an id it already has, or at a time; absent both, live only. */
export interface ReplayFrom {
  lastEventId?: string;
  sinceMs?: number;
}

export interface HubOptions {
  batchWindowMs: number;
  replayEvents: number;
  /** A history replay's page, and its live buffer (default 10000). */
  clientBufferEvents?: number;
}

/**
 * Fan-out of one sink's input to its traces-stream clients.
 *
 * Per event: a few ring slot writes; each client's compiled predicate once; JSON.stringify at
 * most once, and only when some client (now or in a later replay) wants the event; the same
 * string goes into every matching client's queue, and its UTF-8 bytes replace the event in the
 * ring (see replay-ring.ts), which also gives the byte length the clients' limits count.
 * Nothing else is allocated per event.
 * Clients never block the caller: a slow one only fills its own bounded queue. Batch windows
 * share one scheduler action for all clients.
 */
export class TraceHub {
  private readonly clients = new Set<TraceClient>();
  /** Per-event observers that want the events themselves, not frames (top streams). */
  private readonly watchers = new Set<(event: LiveEvent) => void>();
  /** Clients with queued events waiting for the batch window. */
  private readonly pending = new Set<TraceClient>();
  private readonly ring: ReplayRing;
  /** Clients whose history is being replayed: live events wait in their buffer meanwhile. */
  private readonly resuming = new Map<TraceClient, LiveBuffer>();
  /**
   * Clients just gone live after a history replay, with the last id their history read: this
   * node's live read of the stream can lag the history's (it reads the same stream, later), so
   * live events up to that id are skipped for them until the first one after it.
   */
  private readonly seams = new Map<TraceClient, string>();
  private readonly drainWaiters = new Map<TraceClient, () => void>();
  private flushAction: Subscription | undefined;
  private settleWaiters: (() => void)[] = [];
  private unserialisable = 0;

  readonly hooks: TraceClientHooks = {
    queued: (c) => this.queued(c),
    settled: (c) => {
      this.wakeDrained(c);
      this.checkSettled();
    },
    closed: (c) => {
      this.wakeDrained(c);
      this.remove(c);
    },
    copyJson: (pos, target, at) => this.ring.copyJson(pos, target, at),
  };

  constructor(
    private readonly opts: HubOptions,
    private readonly scheduler: SchedulerLike,
    private readonly log: Logger,
    private readonly history: History = NO_HISTORY,
  ) {
    this.ring = new ReplayRing(opts.replayEvents);
  }

  get size(): number {
    return this.clients.size + this.watchers.size;
  }

  /** Calls `fn` with every published event until the returned function is called. */
  watch(fn: (event: LiveEvent) => void): () => void {
    this.watchers.add(fn);
    return () => this.watchers.delete(fn);
  }

  publish(event: LiveEvent): void {
    this.ring.push(event);
    if (this.resuming.size > 0) this.bufferForResuming(event);
    if (this.seams.size > 0) this.passSeams(event.id);
    for (const w of this.watchers) w(event);
    if (this.clients.size === 0) return;
    let json: string | undefined;
    let bytes = 0;
    for (const client of this.clients) {
      if ((this.seams.size > 0 && this.seams.has(client)) || !client.matches(event)) continue;
      if (json === undefined) {
        const serialised = this.ring.jsonAt(this.ring.newest, event);
        if (serialised === null) return this.skipUnserialisable(event);
        json = serialised;
        bytes = this.ring.byteLengthAt(this.ring.newest) ?? Buffer.byteLength(json);
      }
      client.offer(event.id, json, bytes, this.ring.newest);
    }
  }

  /**
   * Adds a client, first replaying what it missed: the ring's events after `lastEventId`, or
   * a `gap` frame and the whole ring when that id is no longer (or never was) retained; with
   * `sinceMs`, the ring's events created since then (a `gap` first when it has evicted some).
   * A history behind the sink answers what the ring cannot.
   * Synchronous, so no event published meanwhile can fall between replay and live; a replay
   * from history is not, and the returned promise resolves once the client is live.
   */
  attach(client: TraceClient, from: ReplayFrom, now: number): Promise<void> {
    // Last-Event-ID wins over since (CONTRACT 9).
    if (from.lastEventId !== undefined) {
      if (!this.ring.forEachAfter(from.lastEventId, this.replayer(client))) {
        // Not in the ring: the sink's history (JetStream behind a nats source) may have it.
        if (this.history.available) return this.resume(client, { afterId: from.lastEventId }, () => this.gapAndRing(client, this.scheduler.now()));
        this.gapAndRing(client, now);
      }
    } else if (from.sinceMs !== undefined) {
      const sinceMs = from.sinceMs;
      // The ring does not reach back that far: the sink's history may (CONTRACT 9).
      if (this.history.available && !this.ring.reachesBefore(sinceMs)) return this.resume(client, { since: sinceMs }, () => this.ringSince(client, sinceMs, this.scheduler.now()));
      this.ringSince(client, sinceMs, now);
    }
    this.clients.add(client);
    client.flush(); // replayed events need not wait for a batch window
    return Promise.resolve();
  }

  private replayer(client: TraceClient): (retained: RetainedEvent, pos: number) => void {
    return (retained, pos) => {
      if (!client.matchesAll) {
        const event = retained.event();
        if (event === undefined || !client.matches(event)) return;
      }
      const json = retained.json;
      if (json !== null) client.offer(retained.id, json, this.ring.byteLengthAt(pos) ?? Buffer.byteLength(json), pos);
    };
  }

  private ringSince(client: TraceClient, sinceMs: number, now: number): void {
    if (!this.ring.holdsSince(sinceMs)) client.connection.write(GAP_FRAME, now);
    this.ring.forEachSince(sinceMs, this.replayer(client));
  }

  private gapAndRing(client: TraceClient, now: number): void {
    client.connection.write(GAP_FRAME, now);
    this.ring.forEach(this.replayer(client));
  }

  /**
   * Replays from history, then joins the live clients; live events meanwhile are buffered,
   * and deduplicated at the seam. `fallback` when the history cannot answer (the ring holds
   * what was buffered too).
   */
  private async resume(client: TraceClient, from: Omit<HistoryQuery, "limit">, fallback: () => void): Promise<void> {
    const capacity = this.opts.clientBufferEvents ?? 10_000;
    const live = new LiveBuffer(capacity);
    this.resuming.set(client, live);
    const answered = await replayHistory(this.history, { ...from, limit: capacity }, client, live, {
      drained: (c) => this.drained(c),
      gap: (c) => c.connection.write(GAP_FRAME, this.scheduler.now()),
      live: (lastId) => {
        this.resuming.delete(client);
        if (!live.flushAfter(lastId, client) && lastId !== undefined) this.seams.set(client, lastId);
        this.clients.add(client);
        client.flush();
      },
    }, this.log);
    this.resuming.delete(client);
    if (answered || client.connection.isClosed) return;
    fallback();
    this.clients.add(client);
    client.flush();
  }

  /** Ends the seams that `id` is past (ids not comparable: past). */
  private passSeams(id: string): void {
    for (const [client, lastId] of this.seams) if (!(compareEventIds(id, lastId) <= 0)) this.seams.delete(client);
  }

  private bufferForResuming(event: LiveEvent): void {
    let json: string | null | undefined;
    for (const [client, live] of this.resuming) {
      if (!client.matches(event)) continue;
      json ??= this.ring.jsonAt(this.ring.newest, event);
      if (json === null) return;
      live.push(event.id, json);
    }
  }

  private drained(client: TraceClient): Promise<void> {
    if (client.settled) return Promise.resolve();
    return new Promise((resolve) => this.drainWaiters.set(client, resolve));
  }

  private wakeDrained(client: TraceClient): void {
    const wake = this.drainWaiters.get(client);
    if (wake && client.settled) {
      this.drainWaiters.delete(client);
      wake();
    }
  }

  /**
   * Sends everything queued now (the input ended) and resolves once every client's queue is
   * on its socket, or the client is gone (a stalled one is closed after `stallTimeoutMs`).
   */
  settle(): Promise<void> {
    this.cancelFlush();
    for (const c of this.clients) c.flush();
    return new Promise((resolve) => {
      this.settleWaiters.push(resolve);
      this.checkSettled();
    });
  }

  /** After the clients were closed: no timer left, nobody left waiting. */
  close(): void {
    this.cancelFlush();
    this.pending.clear();
    this.clients.clear();
    this.resuming.clear();
    this.seams.clear();
    this.watchers.clear();
    this.resolveWaiters();
  }

  private queued(client: TraceClient): void {
    this.pending.add(client);
    // One action for all clients: the first queued event of any client opens the window.
    this.flushAction ??= this.scheduler.schedule(() => {
      this.flushAction = undefined;
      for (const c of this.pending) c.flush();
      this.pending.clear();
    }, this.opts.batchWindowMs);
  }

  private remove(client: TraceClient): void {
    this.clients.delete(client);
    this.seams.delete(client);
    this.pending.delete(client);
    this.checkSettled();
  }

  private checkSettled(): void {
    if (this.settleWaiters.length === 0) return;
    for (const c of this.clients) if (!c.settled) return;
    this.resolveWaiters();
  }

  private resolveWaiters(): void {
    const waiters = this.settleWaiters;
    this.settleWaiters = [];
    for (const w of waiters) w();
  }

  private cancelFlush(): void {
    this.flushAction?.unsubscribe();
    this.flushAction = undefined;
  }

  private skipUnserialisable(event: LiveEvent): void {
    // Logged on the first and then every 1000th, so a bad source cannot flood the log.
    if (this.unserialisable++ % 1000 === 0) {
      this.log.warn({ id: event.id, type: event.type, skipped: this.unserialisable }, `event cannot be serialised to JSON (${whyUnserialisable(event)}): not sent`);
    }
  }
}
