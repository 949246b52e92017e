import type { Observable } from "rxjs";
import type { LiveEvent, LiveEventInput } from "./event.js";

/**
 * History: how a sink asks for past events that its inputs no longer have in memory (a client
 * reconnecting with a `Last-Event-ID` older than the sink's ring, or asking `since=` a time),
 * and how a source that keeps them (the `nats` source: JetStream) offers them.
 *
 * A source implements the optional `Source.history(query)`. A sink injects `HISTORY`: core
 * resolves it per sink to the sources upstream of it that offer history, and runs their
 * answer through fresh instances of the operators on the way, so the sink gets the events it
 * would have got live. Plugins never see each other or the DAG.
 */
export interface HistoryQuery {
  /** Events after this event id (one the source gave out). */
  afterId?: string;
  /** Events created at or after this time (ms since the epoch). `afterId` wins when both are set. */
  since?: number;
  /** Read at most this many of the source's events: one page (the next page starts after `cursor`). */
  limit: number;
}

/** A source's answer: one page of its events, oldest first. */
export interface SourceHistory {
  /** True when the query reaches back past what the source retains: events before the first one are missing. */
  gap: boolean;
  /** The page; completes at its end (at `limit` events, or at the present). */
  events: Observable<LiveEventInput>;
}

/** What a sink gets back for a query. */
export interface HistoryPage {
  gap: boolean;
  /** The page's events as they reach this sink (filtered, sampled... by fresh operators). */
  events: Observable<LiveEvent>;
  /**
   * After `events` completed: the query for the next page, or undefined when this page
   * reached the present. `lastId` is the id of the last source event read (before
   * operators), so a sink can tell live events already covered by history (ids compared part
   * by part as numbers).
   */
  readonly next: HistoryQuery | undefined;
  readonly lastId: string | undefined;
}

/** The `HISTORY` service of one sink. */
export interface History {
  /** True when some source upstream of this sink offers history. */
  readonly available: boolean;
  /**
   * Asks the upstream sources; resolves undefined when none of them knows the query (an id
   * of another stream, or no history at all), else the page.
   */
  query(query: HistoryQuery): Promise<HistoryPage | undefined>;
  /**
   * When the upstream source that gave out event `id` stored it (ms since the epoch, its own
   * clock: JetStream's for a nats source), so a sink can date an id that does not carry its
   * time (`<E>-<S>`). `"missing"`: an id of that source it does not hold (past retention, or
   * never given out); undefined: no upstream source knows the id. Optional (a test double may
   * leave it out): absent, ids are dated by nothing but themselves.
   */
  storedAt?(id: string): Promise<StoredAt | undefined>;
}

export type StoredAt = number | "missing";

/** For a sink resolved without a pipeline (tests): no history. */
export const NO_HISTORY: History = { available: false, query: () => Promise.resolve(undefined), storedAt: () => Promise.resolve(undefined) };

/** Compares two `<a>-<b>` event ids part by part as numbers; NaN when either is not of that form. */
export function compareEventIds(a: string, b: string): number {
  const pa = splitId(a), pb = splitId(b);
  if (!pa || !pb) return NaN;
  return pa[0] !== pb[0] ? pa[0] - pb[0] : pa[1] - pb[1];
}

const ID = /^(\d{1,16})-(\d{1,16})$/;
function splitId(id: string): [number, number] | undefined {
  const m = ID.exec(id);
  return m ? [Number(m[1]), Number(m[2])] : undefined;
}
