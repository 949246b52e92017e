import net from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import type { LiveEvent } from "../../../core/index.js";
import { createPlugin } from "../../../core/testing.js";
import sseDefinition from "./index.js";
import { eventMaker, parseFrames, runSink, StreamReader, type Frame, type RunningSink } from "./test-support.js";
import { until } from "../../../test/support/until.js";

const startSink = (options: Record<string, unknown> = {}) => runSink(createPlugin(sseDefinition, { address: "127.0.0.1:0", ...options }));

const TRACES = "/api/telemetry/traces/live";

/**
 * A client on a raw socket that reads nothing until told: the kernel buffers fill, the
 * server's writes start returning false, and the sink has to queue, drop or give up.
 */
class RawClient {
  private readonly chunks: Buffer[] = [];
  readonly socket: net.Socket;

  constructor(url: string, path: string) {
    const u = new URL(url);
    this.socket = net.connect(Number(u.port), u.hostname);
    this.socket.write(`GET ${path} HTTP/1.1\r\nHost: ${u.host}\r\nAccept: text/event-stream\r\n\r\n`);
    this.socket.on("error", () => undefined);
    // No 'data' listener yet: the socket stops reading once its small buffer is full.
  }

  startReading(): void {
    this.socket.on("data", (b: Buffer) => this.chunks.push(b));
  }

  /** The SSE frames received so far (HTTP head skipped, chunked encoding decoded). */
  frames(): Frame[] {
    const all = Buffer.concat(this.chunks);
    const head = all.indexOf("\r\n\r\n");
    if (head < 0) return [];
    let body = "";
    let at = head + 4;
    for (;;) {
      const eol = all.indexOf("\r\n", at);
      if (eol < 0) break;
      const size = parseInt(all.subarray(at, eol).toString("latin1"), 16);
      if (!(size > 0) || eol + 2 + size > all.length) break;
      body += all.subarray(eol + 2, eol + 2 + size).toString("utf8");
      at = eol + 2 + size + 2;
    }
    const frames: Frame[] = [];
    parseFrames(body, frames);
    return frames;
  }

  close(): void {
    this.socket.destroy();
  }
}

let running: RunningSink | undefined;
const cleanups: (() => void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) c();
  await running?.close();
  running = undefined;
});

/** Publishes rounds of big events until `done()` (bounded: at most `maxRounds` rounds). */
async function publishUntil(s: RunningSink, make: () => LiveEvent, sent: LiveEvent[], done: () => boolean, between: () => Promise<void>, maxRounds = 200): Promise<void> {
  for (let round = 0; round < maxRounds && !done(); round++) {
    for (let i = 0; i < 50; i++) {
      const e = make();
      sent.push(e);
      s.input.next(e);
    }
    await between();
  }
}

describe("slow clients", () => {
  it("drops the oldest for a client that does not read, marks exactly where, and the other client gets everything", async () => {
    const s = (running = await startSink({ clientBufferEvents: 60, batchMaxEvents: 20, batchWindowMs: 5, stallTimeoutMs: 600_000 }));
    const metrics = s.services.metrics;
    const ev = eventMaker();
    const payload = "x".repeat(2000);
    const good = await StreamReader.open(s.url + TRACES);
    cleanups.push(() => good.close());
    await good.connected();
    const slow = new RawClient(s.url, TRACES);
    cleanups.push(() => slow.close());
    await until(() => metrics.gauge("sse.clients").value === 2, "the raw client to connect");

    const sent: LiveEvent[] = [];
    const dropped = () => metrics.counter("sse.dropped").value;
    await publishUntil(
      s,
      () => ev("load.test", { payload, n: sent.length }),
      sent,
      () => dropped() > 0,
      () => good.until((g) => g.ids().length === sent.length, "the good client to keep up", 10_000),
    );
    expect(dropped()).toBeGreaterThan(0);
    // More events after the last drop, so that a trace frame follows the dropped frame.
    for (let i = 0; i < 5; i++) {
      const e = ev("load.test", { payload: "tail", n: sent.length });
      sent.push(e);
      s.input.next(e);
    }
    await good.until((g) => g.ids().length === sent.length, "the good client to get all", 10_000);
    const droppedTotal = dropped();

    slow.startReading();
    const lastId = sent[sent.length - 1].id;
    await until(() => slow.frames().some((f) => f.event === "trace" && f.id === lastId), "the slow client to catch up", 10_000);

    expect(good.ids()).toEqual(sent.map((e) => e.id));
    expect(good.frames.some((f) => f.event === "dropped")).toBe(false);

    // Walk the slow client's frames: each dropped frame says exactly how many events are
    // missing at that point, and the events around it are the right ones.
    let pos = 0;
    let droppedSeen = 0;
    let previous = "";
    for (const f of slow.frames()) {
      if (f.event === "dropped") {
        expect(previous).toBe("trace"); // never two dropped frames in a row, none before data
        const { count, fromId, toId } = JSON.parse(f.data) as { count: number; fromId: string; toId: string };
        expect(count).toBeGreaterThan(0);
        // CONTRACT 9: the first and last event dropped, over a real socket.
        expect([fromId, toId]).toEqual([sent[pos].id, sent[pos + count - 1].id]);
        pos += count;
        droppedSeen += count;
      } else if (f.event === "trace") {
        for (const e of JSON.parse(f.data) as LiveEvent[]) expect(e.id).toBe(sent[pos++].id);
      }
      if (f.event !== "ping") previous = f.event;
    }
    expect(pos).toBe(sent.length);
    expect(droppedSeen).toBe(droppedTotal);
  });

  it("bounds a non-reading client by bytes: 20 kB events are dropped long before clientBufferEvents", async () => {
    const s = (running = await startSink({ clientBufferBytes: 256 * 1024, batchWindowMs: 5, stallTimeoutMs: 600_000 }));
    const metrics = s.services.metrics;
    const ev = eventMaker();
    const payload = "z".repeat(20_000);
    const slow = new RawClient(s.url, TRACES);
    cleanups.push(() => slow.close());
    await until(() => metrics.gauge("sse.clients").value === 1, "the raw client to connect");
    const sent: LiveEvent[] = [];
    const dropped = () => metrics.counter("sse.dropped").value;
    // 2,000 events (40 MB) at most: far under the default clientBufferEvents of 10000.
    await publishUntil(s, () => ev("load.test", { payload, n: sent.length }), sent, () => dropped() > 100, () => new Promise((r) => setTimeout(r, 2)), 40);
    expect(dropped()).toBeGreaterThan(100);
    expect(sent.length).toBeLessThanOrEqual(2000);
    const tail = ev("load.test", { payload: "tail" });
    sent.push(tail);
    s.input.next(tail);

    slow.startReading();
    await until(() => slow.frames().some((f) => f.event === "trace" && f.id === tail.id), "the slow client to get the last event", 10_000);
    let received = 0;
    let droppedSeen = 0;
    for (const f of slow.frames()) {
      if (f.event === "dropped") droppedSeen += (JSON.parse(f.data) as { count: number }).count;
      if (f.event === "trace") received += (JSON.parse(f.data) as unknown[]).length;
    }
    expect(received + droppedSeen).toBe(sent.length);
    expect(droppedSeen).toBe(dropped());
  });

  it("closes a connection that makes no write progress for stallTimeoutMs", async () => {
    const s = (running = await startSink({ clientBufferEvents: 60, batchMaxEvents: 20, batchWindowMs: 5, stallTimeoutMs: 300 }));
    const metrics = s.services.metrics;
    const ev = eventMaker();
    const payload = "y".repeat(2000);
    const slow = new RawClient(s.url, TRACES);
    cleanups.push(() => slow.close());
    await until(() => metrics.gauge("sse.clients").value === 1, "the raw client to connect");
    const sent: LiveEvent[] = [];
    await publishUntil(
      s,
      () => ev("load.test", { payload }),
      sent,
      () => metrics.counter("sse.dropped").value > 0 || metrics.gauge("sse.clients").value === 0,
      () => new Promise((r) => setTimeout(r, 2)),
    );
    await until(() => metrics.gauge("sse.clients").value === 0, "the stalled client to be closed", 10_000);
    // The pipeline never waited for it: publishing more is instant and harmless.
    for (let i = 0; i < 100; i++) s.input.next(ev("after.close"));
  });
});
