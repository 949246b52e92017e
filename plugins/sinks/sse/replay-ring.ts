import type { LiveEvent } from "../../../core/index.js";

/** JSON of an event; null when it is not JSON-serialisable (BigInt, cycle). */
export function serialise(event: LiveEvent): string | null {
  try {
    return JSON.stringify(event);
  } catch {
    return null;
  }
}

/**
 * What is wrong with an event `serialise` refused, in words for the log. Called only for the
 * few that are logged, so it serialises again rather than keeping every error.
 */
export function whyUnserialisable(event: LiveEvent): string {
  try {
    JSON.stringify(event);
    return "it serialised on retry";
  } catch (err) {
    // V8 reports too deep a nesting as a stack overflow; its other messages name the cause.
    if (err instanceof RangeError) return "data nested too deeply";
    const message = (err as Error).message;
    if (/BigInt/i.test(message)) return "a BigInt in data";
    if (/circular/i.test(message)) return "a circular reference in data";
    return message.split("\n")[0];
  }
}

/** A retained event as replay sees it. */
export interface RetainedEvent {
  readonly id: string;
  readonly createdAt: string;
  /** Its JSON (null: not serialisable, never sent); serialised here if no client wanted it yet. */
  readonly json: string | null;
  /**
   * The event, parsed back from its JSON when only that is kept (for a filtering client);
   * undefined when it is not serialisable (never sent, so never matched either).
   */
  event(): LiveEvent | undefined;
}

/**
 * The last `capacity` events, for `Last-Event-ID` and `since=` replay. Each slot keeps the id
 * and createdAt (what lookups need) and either the event's JSON, once some client needed it, or the live
 * event while nobody did (so a sink without clients never serialises).
 *
 * Why the JSON replaces the object: 10,000 retained events with their data objects outlive
 * every young-generation collection, so each one was copied and then marked again by the
 * old-generation GC; with one client reading everything that was about half the sink's CPU
 * (bench/headline.bench.ts). A flat string has no pointers to trace. The price: a filtering
 * client's replay parses events back from their JSON (only on reconnect).
 *
 * Plain parallel arrays and no id index: per event three slot writes, no map churn. Finding an
 * id is a scan from the newest, paid only when a client reconnects (10000 string comparisons
 * are some microseconds). The newest position of a repeated id wins, and ids are not assumed
 * to increase.
 * Memory: `capacity` events or their JSON strings.
 */
export class ReplayRing {
  // Grow to capacity, then reused circularly.
  private readonly ids: string[] = [];
  private readonly createdAts: string[] = [];
  /** The JSON (string, or null when not serialisable) or, until serialised, the event. */
  private readonly kept: (string | null | LiveEvent)[] = [];
  private first = 0; // absolute position of the oldest retained event
  private next = 0; // absolute position the next event gets

  constructor(private readonly capacity: number) {}

  get size(): number {
    return this.next - this.first;
  }

  push(event: LiveEvent): void {
    if (this.capacity === 0) return;
    if (this.next - this.first === this.capacity) this.first++;
    const slot = this.next++ % this.capacity;
    this.ids[slot] = event.id;
    this.createdAts[slot] = event.createdAt;
    this.kept[slot] = event;
  }

  /** JSON of the event at `pos` (absolute), serialised on first use and then kept instead of it. */
  jsonAt(pos: number, event: LiveEvent): string | null {
    if (pos < this.first || pos >= this.next) return serialise(event);
    const slot = pos % this.capacity;
    const kept = this.kept[slot];
    if (kept === null || typeof kept === "string") return kept;
    return (this.kept[slot] = serialise(kept));
  }

  /** Position of the newest event (after `push`), for `jsonAt`. */
  get newest(): number {
    return this.next - 1;
  }

  /**
   * Calls `fn` for the retained events after the newest one with `lastId`, oldest first, and
   * returns true; returns false (calling nothing) when that id is not retained (too old, or
   * unknown).
   */
  forEachAfter(lastId: string, fn: (event: RetainedEvent, pos: number) => void): boolean {
    for (let pos = this.next - 1; pos >= this.first; pos--) {
      if (this.ids[pos % this.capacity] === lastId) {
        this.forEachFrom(pos + 1, fn);
        return true;
      }
    }
    return false;
  }

  /**
   * Whether every event since `sinceMs` that reached the ring is still in it: false when the
   * ring has evicted and its oldest event is newer (or it retains nothing at all), so the
   * caller sends a `gap` first.
   */
  holdsSince(sinceMs: number): boolean {
    if (this.capacity === 0) return false;
    if (this.first === 0) return true;
    return Date.parse(this.createdAts[this.first % this.capacity]) <= sinceMs;
  }

  /**
   * Whether the ring reaches back before `sinceMs`: its oldest event is older, so every later
   * event this node got is in it. False for an empty ring: with a history behind the sink
   * (JetStream), `since=` is served from there instead.
   */
  reachesBefore(sinceMs: number): boolean {
    return this.size > 0 && Date.parse(this.createdAts[this.first % this.capacity]) < sinceMs;
  }

  /**
   * Calls `fn` for the retained events with `createdAt` at or after `sinceMs`, oldest first.
   * createdAt is parsed only here, on a request, never per published event.
   */
  forEachSince(sinceMs: number, fn: (event: RetainedEvent, pos: number) => void): void {
    this.forEach((event, pos) => {
      if (Date.parse(event.createdAt) >= sinceMs) fn(event, pos);
    });
  }

  /** Every retained event, oldest first. */
  forEach(fn: (event: RetainedEvent, pos: number) => void): void {
    this.forEachFrom(this.first, fn);
  }

  private forEachFrom(from: number, fn: (event: RetainedEvent, pos: number) => void): void {
    const end = this.next; // events pushed by fn itself are not visited
    for (let pos = from; pos < end; pos++) fn(this.retained(pos), pos);
  }

  /** A view of one slot, made only while replaying. */
  private retained(pos: number): RetainedEvent {
    const slot = pos % this.capacity;
    const json = (): string | null => {
      const kept = this.kept[slot];
      return kept === null || typeof kept === "string" ? kept : this.jsonAt(pos, kept);
    };
    return {
      id: this.ids[slot],
      createdAt: this.createdAts[slot],
      get json() {
        return json();
      },
      event: () => {
        const kept = this.kept[slot];
        if (kept === null) return undefined;
        return typeof kept === "string" ? (JSON.parse(kept) as LiveEvent) : kept;
      },
    };
  }
}
