import pino from "pino";
import { VirtualTimeScheduler } from "rxjs";
import { describe, expect, it } from "vitest";
import type { LiveEvent } from "../../../core/index.js";
import { compileFilter, isFilterError } from "../../../core/kit.js";
import { MetricsRegistry } from "../../../core/testing.js";
import { TraceClient, type TraceStats } from "./client.js";
import type { SseConnection } from "./connection.js";
import { TraceHub } from "./hub.js";
import { traceFrame } from "./frames.js";
import { FakeConnection } from "./test-support.js";

function setup(opts: { bufferEvents?: number; bufferBytes?: number; batchMaxEvents?: number; batchWindowMs?: number; replayEvents?: number; query?: string } = {}) {
  const scheduler = new VirtualTimeScheduler();
  const metrics = new MetricsRegistry();
  const stats: TraceStats = { dropped: metrics.counter("sse.dropped"), sent: metrics.counter("sse.events-sent"), batchSize: metrics.histogram("sse.batch-size") };
  const warnings: string[] = [];
  const log = pino({ level: "warn" }, { write: (line: string) => warnings.push((JSON.parse(line) as { msg: string }).msg) });
  const hub = new TraceHub({ batchWindowMs: opts.batchWindowMs ?? 100, replayEvents: opts.replayEvents ?? 100 }, scheduler, log);
  const connect = (query = opts.query ?? "", lastEventId?: string, sinceMs?: number) => {
    const conn = new FakeConnection();
    const filter = compileFilter(new URLSearchParams(query));
    if (isFilterError(filter)) throw new Error(filter.details);
    const client = new TraceClient(
      conn as unknown as SseConnection,
      filter,
      { bufferEvents: opts.bufferEvents ?? 1000, bufferBytes: opts.bufferBytes ?? 1 << 30, batchMaxEvents: opts.batchMaxEvents ?? 500, pingIntervalMs: 1000 },
      stats,
      hub.hooks,
      () => scheduler.now(),
    );
    hub.attach(client, { lastEventId, sinceMs }, scheduler.now());
    return { conn, client };
  };
  let n = 0;
  const ev = (type = "a.b", data: Record<string, unknown> = {}): LiveEvent => ({ id: `1-${++n}`, type, createdAt: "2026-01-01T00:00:00.000Z", data });
  const ids = (conn: FakeConnection) => conn.frames().filter((f) => f.event === "trace").flatMap((f) => (JSON.parse(f.data) as LiveEvent[]).map((e) => e.id));
  return { scheduler, metrics, hub, connect, ev, ids, warnings };
}

describe("TraceHub and TraceClient", () => {
  it("assembles a frame byte for byte, from the ring's bytes and, for what it evicted, from the strings", () => {
    const { scheduler, hub, connect, ev } = setup({ replayEvents: 3, batchMaxEvents: 100 });
    const { conn } = connect();
    const events = ["plain", "é ü ß", "日本語", "🎉 \"quoted\" \\ back", "line\nbreak", "x".repeat(20_000)].map((text) => ({ ...ev("a.b", { text }), text }));
    for (const e of events) hub.publish(e); // the first three are evicted before the frame is sent
    scheduler.flush();
    expect(conn.text).toBe(traceFrame(events.at(-1)!.id, events.map((e) => JSON.stringify(e)).join(",")));
  });

  it("sends a batch when the window ends, not before", () => {
    const { scheduler, hub, connect, ev, ids } = setup({ batchWindowMs: 100 });
    const { conn } = connect();
    hub.publish(ev());
    scheduler.maxFrames = 99;
    scheduler.flush();
    expect(ids(conn)).toEqual([]);
    scheduler.maxFrames = Infinity;
    scheduler.flush();
    expect(ids(conn)).toEqual(["1-1"]);
  });

  it("shares one window between clients", () => {
    const { scheduler, hub, connect, ev, ids } = setup();
    const a = connect();
    const b = connect("type=c.*");
    hub.publish(ev("a.b"));
    hub.publish(ev("c.d"));
    expect(scheduler.actions.length).toBe(1);
    scheduler.flush();
    expect(ids(a.conn)).toEqual(["1-1", "1-2"]);
    expect(ids(b.conn)).toEqual(["1-2"]);
  });

  it("serialises an event once for all clients and not at all when nobody matches", () => {
    const { hub, connect, ev } = setup();
    connect();
    connect();
    let calls = 0;
    const counted = (e: LiveEvent) => ({ ...e, toJSON: () => (calls++, { id: e.id }) });
    hub.publish(counted(ev()) as LiveEvent);
    expect(calls).toBe(1);
    const { hub: quiet, connect: c2, ev: ev2 } = setup();
    c2("type=x.y");
    quiet.publish(counted(ev2("a.b")) as LiveEvent);
    expect(calls).toBe(1);
  });

  it("skips an event that cannot be serialised, for every client", () => {
    const { scheduler, hub, connect, ev, ids } = setup();
    const { conn } = connect();
    hub.publish(ev("a.b", { big: 1n }));
    hub.publish(ev("a.b"));
    scheduler.flush();
    expect(ids(conn)).toEqual(["1-2"]);
  });

  it("says why an event was skipped: too deeply nested, a BigInt or a cycle", () => {
    const { hub, connect, ev, warnings } = setup();
    connect();
    let deep: unknown = 1;
    for (let i = 0; i < 100_000; i++) deep = [deep];
    const loop: Record<string, unknown> = {};
    loop.self = loop;
    hub.publish(ev("a.b", { deep }));
    expect(warnings).toEqual(["event cannot be serialised to JSON (data nested too deeply): not sent"]);
    // Logged on the first and every 1000th only: fresh hubs for the other two causes.
    const other = setup();
    other.connect();
    other.hub.publish(other.ev("a.b", { big: 1n }));
    const third = setup();
    third.connect();
    third.hub.publish(third.ev("a.b", loop));
    expect([...other.warnings, ...third.warnings]).toEqual([
      "event cannot be serialised to JSON (a BigInt in data): not sent",
      "event cannot be serialised to JSON (a circular reference in data): not sent",
    ]);
  });

  it("drops the oldest past bufferBytes while blocked, before bufferEvents is reached", () => {
    // Each event's JSON is about 1 kB: 5 fit in 5.5 kB.
    const { scheduler, metrics, hub, connect, ev, ids } = setup({ bufferEvents: 1000, bufferBytes: 5500, batchMaxEvents: 500 });
    const { conn, client } = connect();
    conn.fill();
    const payload = "x".repeat(1000);
    hub.publish(ev("a.b", { payload })); // written at once and fills the socket
    scheduler.flush();
    for (let i = 0; i < 20; i++) hub.publish(ev("a.b", { payload })); // 2..21 queue; 2..16 are dropped
    conn.drain(client);
    expect(conn.frames().map((f) => f.event)).toEqual(["trace", "dropped", "trace"]);
    expect(JSON.parse(conn.frames()[1].data)).toEqual({ count: 15, fromId: "1-2", toId: "1-16" }); // CONTRACT 9
    expect(ids(conn)).toEqual(["1-1", "1-17", "1-18", "1-19", "1-20", "1-21"]);
    expect(metrics.counter("sse.dropped").value).toBe(15);
  });

  it("keeps the newest event even when it alone is over bufferBytes", () => {
    const { scheduler, hub, connect, ev, ids } = setup({ bufferBytes: 100 });
    const { conn } = connect();
    hub.publish(ev("a.b", { payload: "x".repeat(500) }));
    scheduler.flush();
    expect(ids(conn)).toEqual(["1-1"]);
  });

  it("caps a trace frame at 1 MiB of events (one event at least)", () => {
    const { scheduler, hub, connect, ev, ids } = setup({ batchMaxEvents: 500 });
    const { conn } = connect();
    const payload = "x".repeat(300 * 1024);
    for (let i = 0; i < 7; i++) hub.publish(ev("a.b", { payload }));
    hub.publish(ev("a.b", { payload: "y".repeat(2 * 1024 * 1024) }));
    scheduler.flush();
    const traces = conn.frames().filter((f) => f.event === "trace");
    expect(traces.map((f) => (JSON.parse(f.data) as unknown[]).length)).toEqual([3, 3, 1, 1]);
    expect(ids(conn)).toHaveLength(8);
  });

  it("drops the oldest past bufferEvents while blocked and says so right before the next batch", () => {
    const { scheduler, metrics, hub, connect, ev, ids } = setup({ bufferEvents: 4, batchMaxEvents: 2 });
    const { conn, client } = connect();
    conn.fill();
    for (let i = 0; i < 2; i++) hub.publish(ev()); // batch [1,2] fills the socket
    for (let i = 0; i < 7; i++) hub.publish(ev()); // 3..9 queue; 3,4,5 are dropped
    scheduler.flush();
    expect(ids(conn)).toEqual(["1-1", "1-2"]);
    conn.drain(client);
    expect(conn.frames().map((f) => f.event)).toEqual(["trace", "dropped", "trace", "trace"]);
    expect(JSON.parse(conn.frames()[1].data)).toEqual({ count: 3, fromId: "1-3", toId: "1-5" }); // CONTRACT 9
    expect(ids(conn)).toEqual(["1-1", "1-2", "1-6", "1-7", "1-8", "1-9"]);
    expect(metrics.counter("sse.dropped").value).toBe(3);
  });

  it("keeps order through many wrap-arounds of a client's queue", () => {
    const { hub, connect, ev, ids } = setup({ bufferEvents: 1000, batchMaxEvents: 7 });
    const { conn, client } = connect();
    const expected: string[] = [];
    for (let round = 0; round < 50; round++) {
      conn.fill();
      for (let i = 0; i < 37; i++) {
        const e = ev();
        expected.push(e.id);
        hub.publish(e);
      }
      conn.drain(client);
    }
    expect(ids(conn)).toEqual(expected);
  });

  it("settle() resolves once every queue is on its socket", async () => {
    const { hub, connect, ev, ids } = setup({ batchWindowMs: 60_000, batchMaxEvents: 2 });
    const { conn, client } = connect();
    conn.fill();
    for (let i = 0; i < 5; i++) hub.publish(ev());
    let settled = false;
    const done = hub.settle().then(() => (settled = true));
    await Promise.resolve();
    expect(settled).toBe(false);
    conn.drain(client);
    await done;
    expect(ids(conn)).toHaveLength(5);
  });

  it("replays after a known id, or sends a gap and the whole ring", () => {
    const { hub, connect, ev, ids } = setup({ replayEvents: 3 });
    for (let i = 0; i < 5; i++) hub.publish(ev());
    const known = connect("", "1-3");
    expect(ids(known.conn)).toEqual(["1-4", "1-5"]);
    const old = connect("", "1-1");
    expect(old.conn.frames()[0].event).toBe("gap");
    expect(ids(old.conn)).toEqual(["1-3", "1-4", "1-5"]);
  });

  it("filters a replay from the ring's JSON once a client made the ring keep JSON instead of events", () => {
    const { hub, connect, ev, ids } = setup({ replayEvents: 10 });
    connect(); // reads everything: every event is serialised, so the ring keeps only JSON
    hub.publish(ev("a.b", { domain: "example.org" }));
    hub.publish(ev("c.d", { domain: "example.com" }));
    hub.publish(ev("a.b", { domain: "example.com" }));
    hub.publish(ev("a.b", { big: 1n })); // not serialisable: never replayed
    hub.publish(ev("c.d", { domain: "example.org" }));
    expect(ids(connect("domain=example.org", "1-1").conn)).toEqual(["1-5"]);
    expect(ids(connect("type=a.*", "1-1").conn)).toEqual(["1-3"]);
    expect(ids(connect("domain=example.org", undefined, 0).conn)).toEqual(["1-1", "1-5"]);
    expect(ids(connect("", undefined, 0).conn)).toEqual(["1-1", "1-2", "1-3", "1-5"]);
  });
});
