import type { History, HistoryQuery, LiveEvent, Logger } from "../../../core/index.js";
import { compareEventIds } from "../../../core/kit.js";
import type { TraceClient } from "./client.js";
import { serialise } from "./replay-ring.js";

/**
 * Live events that match a client while its history is being replayed, newest kept: at most
 * `capacity`; when it overflows, the replay reads one more page, which covers what was
 * pushed out (history reaches further than anything that arrived live).
 */
export class LiveBuffer {
  private ids: string[] = [];
  private jsons: string[] = [];
  overflowed = false;

  constructor(private readonly capacity: number) {}

  push(id: string, json: string): void {
    if (this.ids.length >= this.capacity) {
      // Halve at once instead of shifting per event: amortised O(1).
      const keep = Math.max(1, this.capacity >> 1);
      this.ids = this.ids.slice(-keep);
      this.jsons = this.jsons.slice(-keep);
      this.overflowed = true;
    }
    this.ids.push(id);
    this.jsons.push(json);
  }

  /**
   * Offers the buffered events newer than `lastId` (all of them when ids are not comparable);
   * true when one was: the live stream is past `lastId` already.
   */
  flushAfter(lastId: string | undefined, client: TraceClient): boolean {
    let past = false;
    for (let i = 0; i < this.ids.length; i++) {
      const id = this.ids[i]!;
      const order = lastId === undefined ? NaN : compareEventIds(id, lastId);
      if (!(order <= 0)) {
        past = true;
        client.offer(id, this.jsons[i]!, Buffer.byteLength(this.jsons[i]!));
      }
    }
    this.ids = [];
    this.jsons = [];
    return past;
  }
}

export interface ReplayHooks {
  /** Resolves once the client's queue is on its socket (or it closed): the next page may come. */
  drained(client: TraceClient): Promise<void>;
  gap(client: TraceClient): void;
  /**
   * The client goes live: called in the same turn as the last look at the live buffer, so no
   * live event can overflow it unseen in between. `lastId`: the last event the history read.
   */
  live(lastId: string | undefined): void;
}

/**
 * Replays a client's missed events from the sink's history (CONTRACT 8: any-node resume; 9:
 * `since=`), a page of at most `first.limit` events at a time, each page waiting until the
 * previous one is on the socket, so a client that missed a million events costs one page of
 * memory. The gap frame comes first when the history says part is gone. Live events meanwhile
 * go to `live`; when the buffer overflowed during a page, one more page covers what it pushed
 * out (every live event was in the stream before the next page's read began). Then
 * `hooks.live`, in the same turn as the last look at the buffer.
 *
 * Resolves false, without calling `hooks.live`, when history cannot answer the first query
 * (the caller replays its ring instead); true otherwise, `hooks.live` called unless the client
 * closed. A history that fails or stops answering after the first page: a `gap` frame, then live.
 */
export async function replayHistory(
  history: History,
  first: HistoryQuery,
  client: TraceClient,
  live: LiveBuffer,
  hooks: ReplayHooks,
  log: Logger,
): Promise<boolean> {
  let query = first;
  let lastId = first.afterId;
  let firstPage = true;
  const since = first.afterId === undefined ? first.since : undefined;
  try {
    for (;;) {
      if (client.connection.isClosed) return true;
      live.overflowed = false;
      const page = await history.query(query);
      if (!page) {
        if (firstPage) return false;
        // The history stopped answering (its source lost its server): the rest is missing.
        log.warn({ afterId: lastId }, "history did not answer the next page: the client gets the gap frame, then live events");
        hooks.gap(client);
        break;
      }
      if (firstPage && page.gap) hooks.gap(client);
      firstPage = false;
      await new Promise<void>((resolve, reject) => {
        page.events.subscribe({
          next: (e: LiveEvent) => {
            // The stream is read from its own timestamps: `since=` means createdAt (CONTRACT 9).
            if (since !== undefined && !(Date.parse(e.createdAt) >= since)) return;
            if (!client.matches(e)) return;
            const json = serialise(e);
            if (json !== null) client.offer(e.id, json, Buffer.byteLength(json));
          },
          error: reject,
          complete: resolve,
        });
      });
      lastId = page.lastId ?? lastId;
      client.flush();
      // No await between this look at `overflowed` and hooks.live below.
      const next = page.next ?? (live.overflowed ? (lastId !== undefined ? { afterId: lastId, limit: first.limit } : first) : undefined);
      if (next === undefined) break;
      query = next;
      await hooks.drained(client);
    }
  } catch (err) {
    log.warn({ err: err instanceof Error ? err.message : String(err) }, "history replay failed: the client gets the gap frame, then the ring or live events");
    if (firstPage) return false;
    // Part of the history was sent: what follows may miss events, say so.
    hooks.gap(client);
  }
  if (!client.connection.isClosed) hooks.live(lastId);
  return true;
}
