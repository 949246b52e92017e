/**
 * Core's HISTORY service: a sink's query reaches the sources upstream of it that offer
 * history, the first that knows the query answers, and its page comes through fresh
 * instances of the operators on the way, paged by `limit`.
 */
import { describe, expect, it } from "vitest";
import { from, NEVER, type Observable } from "rxjs";
import { z } from "zod";
import { defineSource, injectable, type HistoryQuery, type LiveEvent, type LiveEventInput, type Source, type SourceHistory } from "../index.js";
import { probes, startPipeline } from "../../test/support/pipeline-run.js";

/** Ids `7-<n>` for n = 1..20; even n are type `a.even`, odd `a.odd`. */
const STORED: LiveEventInput[] = Array.from({ length: 20 }, (_, i) => ({ id: `7-${i + 1}`, type: (i + 1) % 2 ? "a.odd" : "a.even", createdAt: new Date(1000 * (i + 1)).toISOString(), data: { n: i + 1 } }));
const queries: HistoryQuery[] = [];

@injectable()
class StoreSource implements Source {
  events(): Observable<LiveEventInput> {
    return NEVER;
  }
  async history(q: HistoryQuery): Promise<SourceHistory | undefined> {
    queries.push(q);
    let start: number;
    if (q.afterId !== undefined) {
      const m = /^7-(\d+)$/.exec(q.afterId);
      if (!m) return undefined;
      start = Number(m[1]);
    } else start = STORED.findIndex((e) => Date.parse(e.createdAt!) >= q.since!);
    return { gap: start === 0 && q.afterId === "7-0", events: from(STORED.slice(start, start + q.limit)) };
  }
}
const store = defineSource({ type: "store", description: "a source with history", options: z.strictObject({}), plugin: StoreSource });

const read = (events: Observable<LiveEvent>) =>
  new Promise<LiveEvent[]>((resolve, reject) => {
    const out: LiveEvent[] = [];
    events.subscribe({ next: (e) => out.push(e), complete: () => resolve(out), error: reject });
  });

describe("HISTORY", () => {
  it("answers through fresh operators, pages by limit, and knows which sinks have history", async () => {
    const run = await startPipeline(
      {
        sources: { stored: { type: "store" }, live: { type: "feed", name: "history-live" } },
        operators: { odd: { type: "filter", inputs: ["stored", "live"], include: { type: "a.odd" } } },
        sinks: {
          viaFilter: { type: "history-probe", inputs: ["odd"], name: "h-filter" },
          direct: { type: "history-probe", inputs: ["stored"], name: "h-direct" },
          none: { type: "history-probe", inputs: ["live"], name: "h-none" },
        },
      },
      { plugins: [store] },
    );
    expect(probes.get("h-none")!.available).toBe(false);
    expect(await probes.get("h-none")!.query({ afterId: "7-3", limit: 10 })).toBeUndefined();
    expect(probes.get("h-filter")!.available).toBe(true);

    const page = (await probes.get("h-filter")!.query({ afterId: "7-3", limit: 10 }))!;
    expect((await read(page.events)).map((e) => e.id)).toEqual(["7-5", "7-7", "7-9", "7-11", "7-13"]);
    // The cursor is the last source event read, before the filter dropped 7-14.
    expect(page.lastId).toBe("7-13");
    expect(page.next).toEqual({ afterId: "7-13", limit: 10 });
    const last = (await probes.get("h-filter")!.query(page.next!))!;
    expect((await read(last.events)).map((e) => e.id)).toEqual(["7-15", "7-17", "7-19"]);
    expect(last.next).toBeUndefined();
    expect(last.lastId).toBe("7-20");

    const since = (await probes.get("h-direct")!.query({ since: 18_000, limit: 100 }))!;
    expect((await read(since.events)).map((e) => e.data.n)).toEqual([18, 19, 20]);
    expect(await probes.get("h-direct")!.query({ afterId: "other-1", limit: 5 })).toBeUndefined();
    expect((await probes.get("h-direct")!.query({ afterId: "7-0", limit: 1 }))!.gap).toBe(true);
    // The live filter never saw the replayed events: its drop counter is untouched.
    expect(run.metrics.counter("operators.odd.dropped").value).toBe(0);
    await run.pipeline.stop();
  });
});
