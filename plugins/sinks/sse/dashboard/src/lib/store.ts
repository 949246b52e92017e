import { Ring } from "./ring.js";

/** An event as the traces stream sends it (CONTRACT 1); only `type` is relied on. */
export interface LiveEventLike {
  id?: string;
  type: string;
  createdAt?: string;
  text?: string;
  details?: string;
  data?: Record<string, unknown>;
}

/** A row that is not an event: where the stream says events are missing. */
export class Marker {
  constructor(
    readonly kind: "gap" | "older" | "dropped",
    /** Events dropped by the server (`dropped` frames); 0 for a gap (unknown). */
    readonly count: number,
    readonly atMs: number,
    /** The first and last id the server dropped (`dropped` frames carry them, CONTRACT 9). */
    readonly ids?: { fromId: string; toId: string },
  ) {}

  get text(): string {
    if (this.kind === "older") return "gap: the server's retained events do not reach back to the since time; older ones cannot be shown";
    return this.kind === "gap"
      ? "gap: events were missed while disconnected (the server no longer had them)"
      : `${this.count.toLocaleString("en-US")} event${this.count === 1 ? "" : "s"} dropped here by the server (this page fell behind)${this.ids ? `: ids ${this.ids.fromId}..${this.ids.toId}` : ""}`;
  }
}

export type Row = LiveEventLike | Marker;

/** Rows kept in memory; the UI says so. */
export const MAX_ROWS = 100_000;
const RATE_WINDOW_S = 5;
const MAX_KNOWN = 300;

/**
 * What the event list shows: the newest MAX_ROWS rows, oldest forgotten first. While paused,
 * arrivals wait in their own ring (same bound) and the view does not move; resuming appends
 * them in order. Pure state: the view asks what changed since it last drew.
 */
export class EventStore {
  readonly rows: Ring<Row>;
  private readonly held: Ring<Row>;
  paused = false;
  /** Events that arrived while paused (may exceed what `held` could keep). */
  heldEvents = 0;
  /** Events received since the page loaded or was cleared. */
  received = 0;
  /** Rows added to the view since the view last took this count (to keep its scroll position). */
  private added = 0;
  readonly knownTypes = new Set<string>();
  readonly knownKeys = new Set<string>();
  private readonly perSecond = new Map<number, number>();

  constructor(readonly capacity = MAX_ROWS) {
    this.rows = new Ring<Row>(capacity);
    this.held = new Ring<Row>(capacity);
  }

  addEvents(events: unknown, nowMs: number): number {
    if (!Array.isArray(events)) return 0;
    let n = 0;
    for (const e of events) {
      if (typeof e !== "object" || e === null || typeof (e as LiveEventLike).type !== "string") continue;
      this.add(e as LiveEventLike);
      this.learn(e as LiveEventLike);
      n++;
    }
    this.received += n;
    const second = Math.floor(nowMs / 1000);
    this.perSecond.set(second, (this.perSecond.get(second) ?? 0) + n);
    for (const s of this.perSecond.keys()) if (s <= second - RATE_WINDOW_S * 2) this.perSecond.delete(s);
    return n;
  }

  addMarker(marker: Marker): void {
    this.add(marker);
  }

  private add(row: Row): void {
    if (this.paused) {
      this.held.push(row);
      if (!(row instanceof Marker)) this.heldEvents++;
    } else {
      this.rows.push(row);
      this.added++;
    }
  }

  private learn(e: LiveEventLike): void {
    if (this.knownTypes.size < MAX_KNOWN) this.knownTypes.add(e.type);
    if (this.knownKeys.size < MAX_KNOWN && e.data && typeof e.data === "object") {
      for (const k of Object.keys(e.data)) {
        if (this.knownKeys.size >= MAX_KNOWN) break;
        this.knownKeys.add(k);
      }
    }
  }

  pause(): void {
    this.paused = true;
  }

  /** Shows what arrived while paused; returns how many rows that added. */
  resume(): number {
    this.paused = false;
    const n = this.held.size;
    for (const row of this.held) this.rows.push(row);
    this.held.clear();
    this.heldEvents = 0;
    this.added += n;
    return n;
  }

  clear(): void {
    this.rows.clear();
    this.held.clear();
    this.heldEvents = 0;
    this.received = 0;
    this.added = 0;
  }

  /** Rows added at the top of the view since the last call. */
  takeAdded(): number {
    const n = this.added;
    this.added = 0;
    return n;
  }

  /** Events per second over the last few whole seconds. */
  rate(nowMs: number): number {
    const now = Math.floor(nowMs / 1000);
    let sum = 0;
    for (let s = now - RATE_WINDOW_S; s < now; s++) sum += this.perSecond.get(s) ?? 0;
    return sum / RATE_WINDOW_S;
  }
}
