import type { Counter, Histogram, LiveEvent } from "../../../core/index.js";
import type { SseConnection } from "./connection.js";
import { droppedFrame, pingFrame, TRACE_FRAME_TAIL, traceFrameHead } from "./frames.js";

export interface TraceStats {
  dropped: Counter;
  sent: Counter;
  batchSize: Histogram;
}

/** Which events a client gets: its filters, scope and followed values (see selection.ts). */
export interface Selection {
  predicate: (event: LiveEvent) => boolean;
  /** Every event passes: the predicate may be skipped. */
  matchesAll: boolean;
}

export interface TraceClientOptions {
  bufferEvents: number;
  /** UTF-8 bytes of queued event JSON; the newest event is kept even when it alone is bigger. */
  bufferBytes: number;
  batchMaxEvents: number;
  pingIntervalMs: number;
}

/** How a client tells its hub that it needs a timed flush, or that its state changed. */
export interface TraceClientHooks {
  /** Events are queued and no batch is due yet: flush within the batch window. */
  queued(client: TraceClient): void;
  /** The queue emptied onto the socket, or the connection closed (the hub may be waiting for it). */
  settled(client: TraceClient): void;
  closed(client: TraceClient): void;
  /**
   * Copies the UTF-8 JSON the hub keeps for ring position `pos` to `target` at `at` and returns
   * its length, or -1 when it has none (then the client encodes its string).
   */
  copyJson(pos: number, target: Buffer, at: number): number;
}

/**
 * One traces-stream client: its compiled filter, a bounded queue of serialised events and the
 * batching into `trace` frames.
 *
 * The queue holds at most `bufferEvents` entries and `bufferBytes` of JSON; when one more does
 * not fit, the oldest are dropped until it does. A `trace` frame holds at most
 * `batchMaxEvents` events and MAX_FRAME_BYTES (one event at least), so a client that does not
 * read pins at most its queue plus one frame in its socket's buffer: the queue's strings are
 * shared with every other client, the frame is this client's own copy. Drops only ever happen at the head and writes only ever take from the head, so
 * every dropped event lies between the last event written and the current head: one counter,
 * written as a `dropped` frame right before the next `trace` frame, marks exactly where they
 * are missing.
 */
export const MAX_FRAME_BYTES = 1024 * 1024;

export class TraceClient {
  private readonly queue: EventQueue;
  private droppedSinceFrame = 0;
  private firstDroppedId: string | undefined;
  private lastDroppedId: string | undefined;
  private lastPingAt: number;

  constructor(
    readonly connection: SseConnection,
    private readonly filter: Selection,
    private readonly opts: TraceClientOptions,
    private readonly stats: TraceStats,
    private readonly hooks: TraceClientHooks,
    private readonly now: () => number,
  ) {
    this.queue = new EventQueue(opts.bufferEvents);
    this.lastPingAt = now();
  }

  /** The client takes every event (no filter). */
  get matchesAll(): boolean {
    return this.filter.matchesAll;
  }

  matches(event: LiveEvent): boolean {
    return this.filter.matchesAll || this.filter.predicate(event);
  }

  /**
   * Queues a serialised event (the same string for every client) of `bytes` UTF-8 bytes
   * (exactly), and its position in the hub's ring (-1: none), whose bytes a frame copies rather
   * than encoding the string again; sends a batch at once when `batchMaxEvents` are waiting.
   */
  offer(id: string, json: string, bytes: number, pos = -1): void {
    if (this.connection.isClosed) return;
    while (this.queue.length > 0 && (this.queue.length === this.opts.bufferEvents || this.queue.bytes + bytes > this.opts.bufferBytes)) {
      const droppedId = this.queue.idAt(0);
      this.queue.dropOldest();
      if (this.droppedSinceFrame++ === 0) this.firstDroppedId = droppedId;
      this.lastDroppedId = droppedId;
      this.stats.dropped.inc();
    }
    this.queue.push(id, json, bytes, pos);
    if (this.queue.length >= this.opts.batchMaxEvents && this.connection.writable) this.flush();
    else if (this.queue.length === 1) this.hooks.queued(this);
  }

  /** Writes queued events as `trace` frames until the queue is empty or the socket is full. */
  flush(): void {
    const now = this.now();
    while (this.queue.length > 0 && this.connection.writable) this.writeBatch(now);
    if (this.settled) this.hooks.settled(this);
  }

  /** On stop: everything queued goes out regardless of backpressure (bounded by the queue), then the end. */
  finish(): void {
    const now = this.now();
    while (this.queue.length > 0 && !this.connection.isClosed) this.writeBatch(now);
    this.queue.clear();
    this.connection.end();
  }

  /** Shared tick: the periodic ping, and the stall check. */
  tick(now: number): void {
    this.connection.checkStall(now);
    if (now - this.lastPingAt >= this.opts.pingIntervalMs) {
      this.lastPingAt = now;
      // A blocked socket is not idle, so a keep-alive would only add to its backlog.
      if (this.connection.writable) this.connection.write(pingFrame(this.opts.pingIntervalMs), now);
    }
  }

  /** Nothing left to write (or nobody to write to). */
  get settled(): boolean {
    return this.connection.isClosed || (this.queue.length === 0 && this.connection.writable);
  }

  /** Called by the connection. */
  onDrain(): void {
    this.flush();
  }

  onClose(): void {
    this.queue.clear();
    this.hooks.closed(this);
  }

  private writeBatch(now: number): void {
    if (this.droppedSinceFrame > 0) {
      this.connection.write(droppedFrame(this.droppedSinceFrame, this.firstDroppedId, this.lastDroppedId), now);
      this.droppedSinceFrame = 0;
      this.firstDroppedId = this.lastDroppedId = undefined;
    }
    const n = this.queue.countFitting(this.opts.batchMaxEvents, Math.min(MAX_FRAME_BYTES, this.opts.bufferBytes));
    // Assembled as bytes, one copy per event from the ring: a string frame was a tree of 2n
    // concatenations that the socket write flattened and then encoded again.
    const head = traceFrameHead(this.queue.idAt(n - 1));
    const frame = Buffer.allocUnsafe(Buffer.byteLength(head) + this.queue.bytesOfOldest(n) + (n - 1) + TRACE_FRAME_TAIL.length);
    let at = frame.write(head, 0);
    at = this.queue.takeInto(n, frame, at, this.hooks);
    at += frame.write(TRACE_FRAME_TAIL, at, "latin1");
    this.connection.write(at === frame.length ? frame : frame.subarray(0, at), now);
    this.stats.sent.inc(n);
    this.stats.batchSize.observe(n);
  }
}

/**
 * A FIFO ring of (id, JSON, bytes, ring position), as parallel arrays so queueing allocates nothing. It
 * grows on demand up to `capacity` (a quiet client costs a few slots, not `capacity`), and
 * gives its memory back once it is empty again.
 */
class EventQueue {
  private ids: (string | undefined)[] = new Array(16);
  private jsons: (string | undefined)[] = new Array(16);
  private sizes: number[] = Array.from({ length: 16 }, () => 0);
  private positions: number[] = Array.from({ length: 16 }, () => -1);
  private head = 0;
  length = 0;
  /** UTF-8 bytes of the queued JSON. */
  bytes = 0;

  constructor(private readonly capacity: number) {}

  push(id: string, json: string, bytes: number, pos: number): void {
    if (this.length === this.ids.length) this.grow();
    const slot = (this.head + this.length) % this.ids.length;
    this.ids[slot] = id;
    this.jsons[slot] = json;
    this.sizes[slot] = bytes;
    this.positions[slot] = pos;
    this.length++;
    this.bytes += bytes;
  }

  /** How many of the oldest fit in `maxEvents` and `maxBytes`; at least one when not empty. */
  countFitting(maxEvents: number, maxBytes: number): number {
    const limit = Math.min(this.length, maxEvents);
    let n = 0;
    let bytes = 0;
    while (n < limit) {
      bytes += this.sizes[(this.head + n) % this.ids.length];
      if (n > 0 && bytes > maxBytes) break;
      n++;
    }
    return n;
  }

  dropOldest(): void {
    this.advance(1);
  }

  /** Id of the i-th queued event (0 = oldest). */
  idAt(i: number): string {
    return this.ids[(this.head + i) % this.ids.length]!;
  }

  /** UTF-8 bytes of the `n` oldest. */
  bytesOfOldest(n: number): number {
    let bytes = 0;
    for (let i = 0; i < n; i++) bytes += this.sizes[(this.head + i) % this.ids.length];
    return bytes;
  }

  /**
   * Removes the `n` oldest, writing their JSON joined by commas to `target` at `at` (copied from
   * the ring where `source` still has it, else encoded), and returns the end.
   */
  takeInto(n: number, target: Buffer, at: number, source: Pick<TraceClientHooks, "copyJson">): number {
    const size = this.ids.length;
    for (let i = 0; i < n; i++) {
      if (i > 0) target[at++] = COMMA;
      const slot = (this.head + i) % size;
      const pos = this.positions[slot];
      const copied = pos >= 0 ? source.copyJson(pos, target, at) : -1;
      at += copied >= 0 ? copied : target.write(this.jsons[slot]!, at, "utf8");
    }
    this.advance(n);
    return at;
  }

  clear(): void {
    this.ids = new Array(16);
    this.jsons = new Array(16);
    this.sizes = Array.from({ length: 16 }, () => 0);
    this.positions = Array.from({ length: 16 }, () => -1);
    this.head = 0;
    this.length = 0;
    this.bytes = 0;
  }

  private advance(n: number): void {
    const size = this.ids.length;
    for (let i = 0; i < n; i++) {
      const slot = (this.head + i) % size;
      this.ids[slot] = undefined; // let the strings be collected
      this.jsons[slot] = undefined;
      this.bytes -= this.sizes[slot];
    }
    this.head = (this.head + n) % size;
    this.length -= n;
    // A burst grew the ring; an empty queue has no use for the big arrays.
    if (this.length === 0) {
      if (size > 1024) this.clear();
      else this.head = 0;
    }
  }

  private grow(): void {
    const size = Math.min(this.ids.length * 2, Math.max(this.capacity, 1));
    const ids: (string | undefined)[] = new Array(size);
    const jsons: (string | undefined)[] = new Array(size);
    const sizes = Array.from({ length: size }, () => 0);
    const positions = Array.from({ length: size }, () => -1);
    for (let i = 0; i < this.length; i++) {
      const slot = (this.head + i) % this.ids.length;
      ids[i] = this.ids[slot];
      jsons[i] = this.jsons[slot];
      sizes[i] = this.sizes[slot];
      positions[i] = this.positions[slot];
    }
    this.ids = ids;
    this.jsons = jsons;
    this.sizes = sizes;
    this.positions = positions;
    this.head = 0;
  }
}

const COMMA = 0x2c;
