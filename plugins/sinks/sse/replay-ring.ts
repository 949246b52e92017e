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

/**
 * The last `capacity` events, for `Last-Event-ID` replay, with each one's JSON once some
 * client needed it (so a replay does not serialise again).
 *
 * Plain parallel arrays and no id index: per event the ring costs two slot writes, no object
 * and no map churn. Finding an id is a scan from the newest, paid only when a client
 * reconnects (10000 string comparisons are some microseconds). The newest position of a
 * repeated id wins, and ids are not assumed to increase.
 * Memory: `capacity` events and their JSON strings.
 */
export class ReplayRing {
  private readonly events: LiveEvent[] = []; // grow to capacity, then reused circularly
  private readonly jsons: (string | null | undefined)[] = [];
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
    this.events[slot] = event;
    this.jsons[slot] = undefined;
  }

  /** JSON of the event at `pos` (absolute), serialised on first use and kept while retained. */
  jsonAt(pos: number, event: LiveEvent): string | null {
    if (pos < this.first || pos >= this.next) return serialise(event);
    const slot = pos % this.capacity;
    let json = this.jsons[slot];
    if (json === undefined) this.jsons[slot] = json = serialise(event);
    return json;
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
  forEachAfter(lastId: string, fn: (event: LiveEvent, pos: number) => void): boolean {
    for (let pos = this.next - 1; pos >= this.first; pos--) {
      if (this.events[pos % this.capacity].id === lastId) {
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
    return Date.parse(this.events[this.first % this.capacity].createdAt) <= sinceMs;
  }

  /**
   * Calls `fn` for the retained events with `createdAt` at or after `sinceMs`, oldest first.
   * createdAt is parsed only here, on a request, never per published event.
   */
  forEachSince(sinceMs: number, fn: (event: LiveEvent, pos: number) => void): void {
    this.forEach((event, pos) => {
      if (Date.parse(event.createdAt) >= sinceMs) fn(event, pos);
    });
  }

  /** Every retained event, oldest first. */
  forEach(fn: (event: LiveEvent, pos: number) => void): void {
    this.forEachFrom(this.first, fn);
  }

  private forEachFrom(from: number, fn: (event: LiveEvent, pos: number) => void): void {
    const end = this.next; // events pushed by fn itself are not visited
    for (let pos = from; pos < end; pos++) fn(this.events[pos % this.capacity], pos);
  }
}
