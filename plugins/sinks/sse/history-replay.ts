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

  /** Offers the buffered events newer than `lastId` (all of them when ids are not comparable). */
  flushAfter(lastId: string | undefined, client: TraceClient): void {
    for (let i = 0; i < this.ids.length; i++) {
      const id = this.ids[i]!;
      const order = lastId === undefined ? NaN : compareEventIds(id, lastId);
      if (!(order <= 0)) client.offer(id, this.jsons[i]!, Buffer.byteLength(this.jsons[i]!));
    }
    this.ids = [];
    this.jsons = [];
  }
}

export interface ReplayHooks {
  /** Resolves once the client's queue is on its socket (or it closed): the next page may come. */
  drained(client: TraceClient): Promise<void>;
  gap(client: TraceClient): void;
}

/** What a replay ended with: `fallback` when history could not answer (the ring replays instead). */
export type ReplayEnd = { ok: true; lastId: string | undefined } | { ok: false };

/**
 * Replays a client's missed events from the sink's history (CONTRACT 8: any-node resume), a
 * page of at most `pageSize` events at a time, each page waiting until the previous one is
 * on the socket, so a client that missed a million events costs one page of memory. The gap
 * frame comes first when the history says part is gone. Live events meanwhile go to `live`;
 * the caller offers those after `lastId` once this resolves (no duplicate at the seam).
 */
export async function replayHistory(
  history: History,
  first: HistoryQuery,
  client: TraceClient,
  live: LiveBuffer,
  hooks: ReplayHooks,
  log: Logger,
): Promise<ReplayEnd> {
  let query: HistoryQuery | undefined = first;
  let lastId = first.afterId;
  let firstPage = true;
  try {
    while (query && !client.connection.isClosed) {
      live.overflowed = false;
      const page = await history.query(query);
      if (!page) {
        if (firstPage) return { ok: false };
        break;
      }
      if (firstPage && page.gap) hooks.gap(client);
      firstPage = false;
      await new Promise<void>((resolve, reject) => {
        page.events.subscribe({
          next: (e: LiveEvent) => {
            if (!client.matches(e)) return;
            const json = serialise(e);
            if (json !== null) client.offer(e.id, json, Buffer.byteLength(json));
          },
          error: reject,
          complete: resolve,
        });
      });
      lastId = page.lastId ?? lastId;
      query = page.next ?? (live.overflowed && lastId !== undefined ? { afterId: lastId, limit: first.limit } : undefined);
      client.flush();
      if (query) await hooks.drained(client);
    }
    return { ok: true, lastId };
  } catch (err) {
    log.warn({ err: err instanceof Error ? err.message : String(err) }, "history replay failed: the client gets the gap frame and the ring");
    if (firstPage) return { ok: false };
    // Part of the history was sent: what follows may miss events, say so.
    hooks.gap(client);
    return { ok: true, lastId };
  }
}
