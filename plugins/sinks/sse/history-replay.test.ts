/**
 * The seam between a replay from history (JetStream behind a nats source) and the live
 * stream, with the interleavings driven by hand: a fake stream whose pages are read at once,
 * and live events published exactly where a test puts them (during a page, after it, some
 * microtasks later, after the switch). Whatever the order, the client gets every event after
 * its Last-Event-ID exactly once, in order.
 */
import pino from "pino";
import { Observable, VirtualTimeScheduler } from "rxjs";
import { describe, expect, it } from "vitest";
import type { History, HistoryPage, HistoryQuery, LiveEvent } from "../../../core/index.js";
import { compileFilter, isFilterError } from "../../../core/kit.js";
import { MetricsRegistry } from "../../../core/testing.js";
import { TraceClient, type TraceStats } from "./client.js";
import type { SseConnection } from "./connection.js";
import { TraceHub } from "./hub.js";
import { FakeConnection } from "./test-support.js";

/** Second `s` of the test's day, in ms. */
const at = (s: number) => Date.UTC(2026, 0, 1, 0, 0, s);
/** The event of stream sequence `seq`, created at second `seq` unless said otherwise. */
const event = (seq: number, createdAtSecond = seq): LiveEvent => ({ id: `5-${seq}`, type: "a.b", createdAt: new Date(at(createdAtSecond)).toISOString(), data: { seq } });
const seqs = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => `5-${from + i}`);

/**
 * A stream as a nats source's history sees it: `stored` is what JetStream holds, read when a
 * page is subscribed (as the source's consumer is created then); event `seq` was stored at
 * second `seq` (a `since` query reads by that time, as JetStream does). Pages follow core's
 * HistoryRouter: `next` when the page read `limit` events, `lastId` the last one read.
 */
class FakeStream implements History {
  readonly available = true;
  readonly stored: LiveEvent[] = [];
  readonly queries: HistoryQuery[] = [];
  /** Called right after page `n` (1-based) completed, before the replay goes on. */
  afterPage: (n: number) => void = () => undefined;
  /** The query that cannot be answered any more (1-based), e.g. the source lost its server. */
  unanswered = 0;

  store(from: number, to: number): void {
    for (let s = from; s <= to; s++) this.stored.push(event(s));
  }

  query(q: HistoryQuery): Promise<HistoryPage | undefined> {
    this.queries.push(q);
    const n = this.queries.length;
    if (n === this.unanswered) return Promise.resolve(undefined);
    let read = 0;
    let lastId = q.afterId;
    const after = q.afterId === undefined ? -Infinity : Number(q.afterId.split("-")[1]);
    const events = new Observable<LiveEvent>((sub) => {
      const seq = (e: LiveEvent) => Number(e.id.split("-")[1]);
      const page = this.stored.filter((e) => (q.afterId !== undefined ? seq(e) > after : at(seq(e)) >= q.since!)).slice(0, q.limit);
      for (const e of page) {
        read++;
        lastId = e.id;
        sub.next(e);
      }
      sub.complete();
      this.afterPage(n);
    });
    // Retention removed what came before the first stored event (as JetStream's first_seq > 1).
    const firstSeq = this.stored.length > 0 ? Number(this.stored[0]!.id.split("-")[1]) : 1;
    const gap = firstSeq > 1 && (q.afterId !== undefined ? after + 1 < firstSeq : q.since! < at(firstSeq));
    return Promise.resolve({
      gap,
      events,
      get next() {
        return read >= q.limit && lastId !== undefined ? { afterId: lastId, limit: q.limit } : undefined;
      },
      get lastId() {
        return lastId;
      },
    });
  }
}

function setup(stream: FakeStream, capacity = 4) {
  const scheduler = new VirtualTimeScheduler();
  const metrics = new MetricsRegistry();
  const stats: TraceStats = { dropped: metrics.counter("sse.dropped"), sent: metrics.counter("sse.events-sent"), batchSize: metrics.histogram("sse.batch-size") };
  const log = pino({ level: "silent" });
  const hub = new TraceHub({ batchWindowMs: 100, replayEvents: 2, clientBufferEvents: capacity }, scheduler, log, stream);
  const connect = (from: { lastEventId?: string; sinceMs?: number }, query = "") => {
    const conn = new FakeConnection();
    const filter = compileFilter(new URLSearchParams(query));
    if (isFilterError(filter)) throw new Error(filter.details);
    const client = new TraceClient(conn as unknown as SseConnection, filter, { bufferEvents: 1000, bufferBytes: 1 << 30, batchMaxEvents: 500, pingIntervalMs: 1000 }, stats, hub.hooks, () => scheduler.now());
    const live = hub.attach(client, from, scheduler.now());
    return { conn, client, live };
  };
  /** The node's live read of the stream delivering these events (it may lag the stream). */
  const publish = (from: number, to: number) => {
    for (let s = from; s <= to; s++) hub.publish(event(s));
  };
  const received = (conn: FakeConnection) => {
    scheduler.flush();
    return conn.frames().flatMap((f) => (f.event === "trace" ? (JSON.parse(f.data) as LiveEvent[]).map((e) => e.id) : [f.event!]));
  };
  return { hub, connect, publish, received };
}

/** Runs `fn` after `depth` microtask turns. */
const afterMicrotasks = (depth: number, fn: () => void) => {
  const step = (left: number) => (left === 0 ? fn() : queueMicrotask(() => step(left - 1)));
  step(depth);
};

describe("resume from history: the seam with the live stream", () => {
  it("skips the live events the history already gave when the node's live read lags the stream", async () => {
    const stream = new FakeStream();
    stream.store(1, 8);
    const { connect, publish, received } = setup(stream, 100);
    stream.afterPage = () => publish(4, 5); // the live read is at 5 when the history read is at 8
    const { conn, live } = connect({ lastEventId: "5-3" });
    await live;
    publish(6, 8); // still behind: the client has these from the history
    stream.store(9, 9);
    publish(9, 9);
    expect(received(conn)).toEqual(seqs(4, 9));
  });

  it("offers the live events past the history's last one when the live read is ahead", async () => {
    const stream = new FakeStream();
    stream.store(1, 6);
    const { connect, publish, received } = setup(stream, 100);
    stream.afterPage = () => {
      stream.store(7, 9);
      publish(4, 9); // arrived while the page was read: 7..9 are not in it
    };
    const { conn, live } = connect({ lastEventId: "5-3" });
    await live;
    stream.store(10, 10);
    publish(10, 10);
    expect(received(conn)).toEqual(seqs(4, 10));
  });

  // The live read catches up (and overflows the 4-event live buffer) at every point from the
  // end of the last page to well after the switch to live.
  it.each(Array.from({ length: 12 }, (_, depth) => depth))("no gap and no duplicate when the live buffer overflows %i microtasks after the last page", async (depth) => {
    const stream = new FakeStream();
    stream.store(1, 5);
    const { connect, publish, received } = setup(stream, 4);
    let caughtUp!: () => void;
    const done = new Promise<void>((resolve) => (caughtUp = resolve));
    stream.afterPage = (n) => {
      if (n !== 1) return;
      afterMicrotasks(depth, () => {
        stream.store(6, 12);
        publish(4, 12);
        caughtUp();
      });
    };
    const { conn, live } = connect({ lastEventId: "5-3" });
    await Promise.all([live, done]);
    stream.store(13, 13);
    publish(13, 13);
    expect(received(conn)).toEqual(seqs(4, 13));
  });

  it("reads on past a live buffer that overflowed while the client's socket was full between pages", async () => {
    const stream = new FakeStream();
    stream.store(1, 6);
    const { connect, publish, received } = setup(stream, 4);
    const { conn, client, live } = connect({ lastEventId: "5-2" });
    stream.afterPage = (n) => {
      if (n === 1) conn.fill(); // the page's flush fills the socket: the next page waits for drain
    };
    // The replay starts waiting for drain in the same turn as the flush that blocked the socket.
    for (let turn = 0; !conn.blocked; turn++) {
      if (turn > 100) throw new Error("the first page never filled the socket");
      await Promise.resolve();
    }
    stream.store(7, 30);
    publish(3, 30); // many overflows of the live buffer while the replay waits
    conn.drain(client);
    await live;
    stream.store(31, 31);
    publish(31, 31);
    expect(received(conn)).toEqual(seqs(3, 31));
    expect(stream.queries.length).toBeGreaterThan(2);
  });

  it("says gap when the history cannot answer a later page, then goes live", async () => {
    const stream = new FakeStream();
    stream.store(1, 10);
    const { connect, publish, received } = setup(stream, 4);
    stream.unanswered = 2;
    const { conn, live } = connect({ lastEventId: "5-2" });
    await live;
    stream.store(11, 11);
    publish(11, 11);
    expect(received(conn)).toEqual([...seqs(3, 6), "gap", "5-11"]);
  });

  it("serves since= from the stream when the ring does not reach back that far, then live, no duplicate", async () => {
    const stream = new FakeStream();
    stream.store(1, 8);
    const { connect, publish, received } = setup(stream, 100);
    publish(7, 8); // this node's ring (2 events) starts at second 7
    stream.stored.push(event(9, 2)); // stored at second 9, created at second 2: not since second 4
    stream.afterPage = () => publish(9, 9);
    const { conn, live } = connect({ sinceMs: at(4) });
    await live;
    expect(stream.queries[0]).toEqual({ since: at(4), limit: 100 });
    publish(9, 9); // a lagging live read: already sent
    stream.store(10, 10);
    publish(10, 10);
    expect(received(conn)).toEqual(seqs(4, 8).concat("5-10"));
  });

  it("serves since= from the ring when it reaches back that far, without asking the stream", async () => {
    const stream = new FakeStream();
    stream.store(1, 8);
    const { connect, publish, received } = setup(stream, 100);
    publish(7, 8);
    const { conn, live } = connect({ sinceMs: at(8) });
    await live;
    expect(stream.queries).toEqual([]);
    publish(9, 9);
    expect(received(conn)).toEqual(["5-8", "5-9"]);
  });

  it("says gap first when the stream does not retain since then", async () => {
    const stream = new FakeStream();
    stream.store(1, 8);
    stream.stored.splice(0, 3); // retention removed 1..3
    const { connect, received } = setup(stream, 100);
    const { conn, live } = connect({ sinceMs: at(2) });
    await live;
    expect(received(conn)).toEqual(["gap", ...seqs(4, 8)]);
  });

  it("takes Last-Event-ID over since", async () => {
    const stream = new FakeStream();
    stream.store(1, 8);
    const { connect, received } = setup(stream, 100);
    const { conn, live } = connect({ lastEventId: "5-6", sinceMs: at(1) });
    await live;
    expect(stream.queries).toEqual([{ afterId: "5-6", limit: 100 }]);
    expect(received(conn)).toEqual(["5-7", "5-8"]);
  });
});
