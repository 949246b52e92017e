import type { LiveEvent } from "../../../core/index.js";
import { Utf8Blocks } from "./utf8-blocks.js";

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
 * and createdAt (what lookups need) and either the event's JSON, once some client needed it, or
 * the live event while nobody did (so a sink without clients never serialises).
 *
 * Why the JSON replaces the object: 10,000 retained events with their data objects outlive
 * every young-generation collection, so each one was copied and then marked again by the
 * old-generation GC; with one client reading everything that was about half the sink's CPU
 * (bench/headline.bench.ts). The JSON is kept as UTF-8 bytes in reused blocks (utf8-blocks.ts),
 * not as strings: 10,000 strings were still promoted at the event rate and let the old
 * generation grow to four times its live size between collections (peak RSS 220 MiB against
 * 125 with no ring). Writing the bytes also yields their exact length, which the clients'
 * byte limits need anyway. The price: a replay decodes the bytes (and a filtering client's
 * replay parses them back into events), only on reconnect.
 *
 * Plain parallel arrays and no id index: per event a few slot writes, no map churn. Finding an
 * id is a scan from the newest, paid only when a client reconnects (10000 string comparisons
 * are some microseconds). The newest position of a repeated id wins, and ids are not assumed
 * to increase.
 * Memory: `capacity` events, or their JSON as UTF-8 bytes (in blocks of 128 KiB, plus at most
 * four spare ones).
 */
export class ReplayRing {
  // Grow to capacity, then reused circularly.
  private readonly ids: string[] = [];
  private readonly createdAts: string[] = [];
  /** The block (index in `blocks`) holding the JSON, null when not serialisable, or, until serialised, the event. */
  private readonly kept: (number | null | LiveEvent)[] = [];
  private readonly offsets: number[] = [];
  private readonly byteLengths: number[] = [];
  private readonly blocks = new Utf8Blocks();
  /** The newest event's JSON as the string it was serialised to (the hub hands it to every client). */
  private newestJson: string | null | undefined;
  private first = 0; // absolute position of the oldest retained event
  private next = 0; // absolute position the next event gets

  constructor(private readonly capacity: number) {}

  get size(): number {
    return this.next - this.first;
  }

  push(event: LiveEvent): void {
    this.newestJson = undefined;
    if (this.capacity === 0) return;
    if (this.next - this.first === this.capacity) this.first++;
    const slot = this.next++ % this.capacity;
    const evicted = this.kept[slot];
    if (evicted !== undefined && isBytes(evicted)) this.blocks.release(evicted);
    this.ids[slot] = event.id;
    this.createdAts[slot] = event.createdAt;
    this.kept[slot] = event;
  }

  /** JSON of the event at `pos` (absolute), serialised on first use and then kept instead of it. */
  jsonAt(pos: number, event: LiveEvent): string | null {
    if (pos < this.first || pos >= this.next) return serialise(event);
    return this.keptJson(pos);
  }

  /** JSON of the retained event at `pos`, serialising it into the ring the first time. */
  private keptJson(pos: number): string | null {
    const newest = pos === this.next - 1;
    if (newest && this.newestJson !== undefined) return this.newestJson;
    const slot = pos % this.capacity;
    const kept = this.kept[slot];
    let json: string | null;
    if (kept === null) json = null;
    else if (isBytes(kept)) json = this.blocks.text(kept, this.offsets[slot], this.byteLengths[slot]);
    else {
      json = serialise(kept);
      if (json === null) this.kept[slot] = null;
      else {
        this.byteLengths[slot] = this.blocks.add(json);
        this.kept[slot] = this.blocks.lastIndex;
        this.offsets[slot] = this.blocks.lastOffset;
      }
    }
    if (newest) this.newestJson = json;
    return json;
  }

  /**
   * UTF-8 bytes of the JSON at `pos` once `jsonAt` gave it; undefined when the ring does not
   * keep it (capacity 0, evicted), so the caller measures the string itself.
   */
  byteLengthAt(pos: number): number | undefined {
    if (pos < this.first || pos >= this.next) return undefined;
    const slot = pos % this.capacity;
    return isBytes(this.kept[slot]) ? this.byteLengths[slot] : undefined;
  }

  /**
   * Copies the UTF-8 JSON of the event at `pos` to `target` at `at` and returns its length, or
   * -1 when the ring no longer (or never) kept it as bytes: then the caller encodes the string.
   */
  copyJson(pos: number, target: Buffer, at: number): number {
    if (pos < this.first || pos >= this.next) return -1;
    const slot = pos % this.capacity;
    const kept = this.kept[slot];
    if (kept === undefined || !isBytes(kept)) return -1;
    this.blocks.copy(kept, this.offsets[slot], this.byteLengths[slot], target, at);
    return this.byteLengths[slot];
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
    const json = (): string | null => this.keptJson(pos);
    return {
      id: this.ids[slot],
      createdAt: this.createdAts[slot],
      get json() {
        return json();
      },
      event: () => {
        const kept = this.kept[slot];
        if (kept === null) return undefined;
        return isBytes(kept) ? (JSON.parse(json()!) as LiveEvent) : kept;
      },
    };
  }
}

function isBytes(kept: number | null | LiveEvent): kept is number {
  return typeof kept === "number";
}
