import type { SchedulerLike, Subscription } from "rxjs";
import type { LiveEvent, Logger } from "../../../core/index.js";
import type { TraceClient, TraceClientHooks } from "./client.js";
import { GAP_FRAME } from "./frames.js";
import { ReplayRing, whyUnserialisable, type RetainedEvent } from "./replay-ring.js";

export interface HubOptions {
  batchWindowMs: number;
  replayEvents: number;
}

/**
 * Fan-out of one sink's input to its traces-stream clients.
 *
 * Per event: three ring slot writes; each client's compiled predicate once; JSON.stringify at
 * most once, and only when some client (now or in a later replay) wants the event; the same
 * string goes into every matching client's queue, and replaces the event in the ring (see
 * replay-ring.ts). Nothing else is allocated per event.
 * Clients never block the caller: a slow one only fills its own bounded queue. Batch windows
 * share one scheduler action for all clients.
 */
export class TraceHub {
  private readonly clients = new Set<TraceClient>();
  /** Clients with queued events waiting for the batch window. */
  private readonly pending = new Set<TraceClient>();
  private readonly ring: ReplayRing;
  private flushAction: Subscription | undefined;
  private settleWaiters: (() => void)[] = [];
  private unserialisable = 0;

  readonly hooks: TraceClientHooks = {
    queued: (c) => this.queued(c),
    settled: () => this.checkSettled(),
    closed: (c) => this.remove(c),
  };

  constructor(
    private readonly opts: HubOptions,
    private readonly scheduler: SchedulerLike,
    private readonly log: Logger,
  ) {
    this.ring = new ReplayRing(opts.replayEvents);
  }

  get size(): number {
    return this.clients.size;
  }

  publish(event: LiveEvent): void {
    this.ring.push(event);
    if (this.clients.size === 0) return;
    let json: string | undefined;
    let bytes = 0;
    for (const client of this.clients) {
      if (!client.matches(event)) continue;
      if (json === undefined) {
        const serialised = this.ring.jsonAt(this.ring.newest, event);
        if (serialised === null) return this.skipUnserialisable(event);
        json = serialised;
        bytes = Buffer.byteLength(json);
      }
      client.offer(event.id, json, bytes);
    }
  }

  /**
   * Adds a client, first replaying what it missed: the ring's events after `lastEventId`, or
   * a `gap` frame and the whole ring when that id is no longer (or never was) retained.
   * Synchronous, so no event published meanwhile can fall between replay and live.
   */
  attach(client: TraceClient, lastEventId: string | undefined, now: number): void {
    if (lastEventId !== undefined) {
      const replay = (retained: RetainedEvent) => {
        if (!client.matchesAll && !client.matches(retained.event())) return;
        const json = retained.json;
        if (json !== null) client.offer(retained.id, json, Buffer.byteLength(json));
      };
      if (!this.ring.forEachAfter(lastEventId, replay)) {
        client.connection.write(GAP_FRAME, now);
        this.ring.forEach(replay);
      }
    }
    this.clients.add(client);
    client.flush(); // replayed events need not wait for a batch window
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
