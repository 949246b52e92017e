import { describe, expect, it } from "vitest";
import { z } from "zod";
import type { LiveEvent } from "../../../core/index.js";
import { MetricsRegistry } from "../../../core/testing.js";
import { droppedFrame, GAP_FRAME, metricsFrame, pingFrame, traceFrame } from "./frames.js";
import { metricSelector, parseMetricsQuery } from "./metrics-stream.js";
import { SseOptions } from "./options.js";
import { prometheusName, PrometheusExporter } from "./prometheus.js";
import { ReplayRing, serialise } from "./replay-ring.js";
import { Utf8Blocks } from "./utf8-blocks.js";

const ev = (id: string): LiveEvent => ({ id, type: "a.b", createdAt: "2026-01-01T00:00:00.000Z", data: {} });

describe("ReplayRing", () => {
  const ids = (ring: ReplayRing, after?: string) => {
    const out: string[] = [];
    const found = after === undefined ? (ring.forEach((e) => out.push(e.id)), true) : ring.forEachAfter(after, (e) => out.push(e.id));
    return found ? out : undefined;
  };

  it("keeps the last `capacity` events and finds ids among them", () => {
    const ring = new ReplayRing(3);
    for (const id of ["a", "b", "c", "d", "e"]) ring.push(ev(id));
    expect(ring.size).toBe(3);
    expect(ids(ring)).toEqual(["c", "d", "e"]);
    expect(ids(ring, "c")).toEqual(["d", "e"]);
    expect(ids(ring, "e")).toEqual([]);
    expect(ids(ring, "b")).toBeUndefined(); // evicted
    expect(ids(ring, "zz")).toBeUndefined(); // never seen
  });

  it("resolves a repeated id to its newest position", () => {
    const ring = new ReplayRing(4);
    for (const id of ["x", "a", "x", "b"]) ring.push(ev(id));
    expect(ids(ring, "x")).toEqual(["b"]);
  });

  it("retains nothing with capacity 0, but still serialises", () => {
    const ring = new ReplayRing(0);
    ring.push(ev("a"));
    expect(ring.size).toBe(0);
    expect(ids(ring, "a")).toBeUndefined();
    expect(ids(ring)).toEqual([]);
    expect(ring.jsonAt(ring.newest, ev("a"))).toBe(JSON.stringify(ev("a")));
  });

  it("serialises a retained event once, and marks what cannot be serialised", () => {
    const ring = new ReplayRing(2);
    let calls = 0;
    const counted = { ...ev("a"), toJSON: () => (calls++, { id: "a" }) } as LiveEvent;
    ring.push(counted);
    const pos = ring.newest;
    expect(ring.jsonAt(pos, counted)).toBe('{"id":"a"}');
    expect(ring.jsonAt(pos, counted)).toBe('{"id":"a"}');
    expect(calls).toBe(1);
    const bad = { ...ev("b"), data: { n: 1n } };
    ring.push(bad);
    expect(ring.jsonAt(ring.newest, bad)).toBeNull();
    expect(serialise(bad)).toBeNull();
  });

  it("keeps the JSON instead of the event once serialised, and gives the event back from it", () => {
    const ring = new ReplayRing(3);
    const a = { ...ev("a"), data: { n: 1 } };
    const bad = { ...ev("b"), data: { n: 1n } };
    ring.push(a);
    ring.jsonAt(ring.newest, a);
    ring.push(bad);
    ring.jsonAt(ring.newest, bad);
    ring.push(ev("c")); // never serialised: still the live event
    const seen: { id: string; json: string | null; event: LiveEvent | undefined }[] = [];
    ring.forEach((r) => seen.push({ id: r.id, json: r.json, event: r.event() }));
    expect(seen[0]).toEqual({ id: "a", json: JSON.stringify(a), event: a });
    expect(seen[0]!.event).not.toBe(a); // parsed back, the live object was let go
    expect(seen[1]).toEqual({ id: "b", json: null, event: undefined });
    expect(seen[2]!.json).toBe(JSON.stringify(ev("c")));
  });

  it("finds the events since a time by createdAt, and says whether it still holds all of them", () => {
    const at = (id: string, createdAt: string): LiveEvent => ({ ...ev(id), createdAt });
    const ring = new ReplayRing(2);
    ring.push(at("a", "2026-01-01T00:00:01.000Z"));
    ring.push(at("b", "2026-01-01T00:00:02.000Z"));
    expect(ring.holdsSince(0)).toBe(true); // nothing evicted yet
    ring.push(at("c", "2026-01-01T00:00:03.000Z"));
    const since = (ms: number) => {
      const out: string[] = [];
      ring.forEachSince(ms, (r) => out.push(r.id));
      return out;
    };
    expect(since(Date.parse("2026-01-01T00:00:03.000Z"))).toEqual(["c"]);
    expect(since(0)).toEqual(["b", "c"]);
    expect(ring.holdsSince(Date.parse("2026-01-01T00:00:02.000Z"))).toBe(true);
    expect(ring.holdsSince(Date.parse("2026-01-01T00:00:01.500Z"))).toBe(false); // "a" was evicted
  });

  it("reuses its slots in order across many wrap-arounds", () => {
    const ring = new ReplayRing(7);
    for (let i = 0; i < 100; i++) ring.push(ev(String(i)));
    expect(ids(ring)).toEqual(["93", "94", "95", "96", "97", "98", "99"]);
    expect(ids(ring, "96")).toEqual(["97", "98", "99"]);
  });

  it("keeps any text exactly through its UTF-8 bytes, with their exact length", () => {
    const texts = ["plain", "é ü ß", "日本語のログ", "emoji 🎉 and a lone surrogate \ud800", "x".repeat(70_000), "€".repeat(30_000)];
    const ring = new ReplayRing(3);
    const json: string[] = [];
    for (const [i, text] of texts.entries()) {
      const e = { ...ev(String(i)), text };
      ring.push(e);
      json.push(ring.jsonAt(ring.newest, e)!);
      expect(ring.byteLengthAt(ring.newest)).toBe(Buffer.byteLength(json[i]!));
    }
    const seen: { json: string | null; text: string | undefined }[] = [];
    ring.forEach((r) => seen.push({ json: r.json, text: r.event()?.text }));
    expect(seen).toEqual(json.slice(-3).map((j, i) => ({ json: j, text: texts[3 + i] })));
    expect(ring.byteLengthAt(0)).toBeUndefined(); // evicted: the caller measures the string
  });

  it("keeps retained JSON intact while evicted events' blocks are reused", () => {
    const ring = new ReplayRing(50);
    const expected = new Map<string, string>();
    for (let i = 0; i < 5000; i++) {
      const e = { ...ev(String(i)), text: `${i} ${"ü".repeat(i % 300)}` };
      ring.push(e);
      expected.set(e.id, ring.jsonAt(ring.newest, e)!);
    }
    const seen: [string, string | null][] = [];
    ring.forEach((r) => seen.push([r.id, r.json]));
    expect(seen).toEqual(Array.from({ length: 50 }, (_, i) => String(4950 + i)).map((id) => [id, expected.get(id)!]));
  });
});

describe("Utf8Blocks", () => {
  it("packs strings into shared blocks, gives big ones their own, and reuses a block once all its strings are released", () => {
    const blocks = new Utf8Blocks();
    const spans: { index: number; offset: number; bytes: number; s: string }[] = [];
    const strings = [...Array.from({ length: 1000 }, (_, i) => `{"n":${i},"t":"ünïcödé ${"y".repeat(i)}"}`), "z".repeat(30_000)];
    for (const s of strings) {
      const bytes = blocks.add(s);
      spans.push({ index: blocks.lastIndex, offset: blocks.lastOffset, bytes, s });
    }
    for (const { index, offset, bytes, s } of spans) {
      expect(bytes).toBe(Buffer.byteLength(s));
      expect(blocks.text(index, offset, bytes)).toBe(s);
    }
    const used = new Set(spans.map((x) => x.index));
    expect(used.size).toBeGreaterThan(2); // rolled over to new blocks
    expect(used.size).toBeLessThan(strings.length / 10); // yet shared by many strings

    // Release everything but the newest string: the old blocks come back, and their bytes are overwritten.
    for (const { index } of spans.slice(0, -1)) blocks.release(index);
    const reused = new Set<number>();
    for (let i = 0; i < 400; i++) {
      const s = `{"again":${i},"pad":"${"p".repeat(300)}"}`;
      const bytes = blocks.add(s);
      reused.add(blocks.lastIndex);
      expect(blocks.text(blocks.lastIndex, blocks.lastOffset, bytes)).toBe(s);
    }
    expect([...reused].some((i) => used.has(i))).toBe(true);
    const big = spans.at(-1)!;
    expect(blocks.text(big.index, big.offset, big.bytes)).toBe(big.s); // not released: intact
  });
});

describe("metrics stream query", () => {
  const q = (s: string) => parseMetricsQuery(new URLSearchParams(s), 30);
  it.each([
    ["", 30_000],
    ["interval=5", 5000],
    ["interval=2.5", 2500],
    ["interval=0.2", 1000],
    ["interval=-4", 1000],
    ["interval=", 30_000],
    ["interval=abc&interval=7", 7000],
    ["interval=1e2", 100_000],
    ["interval=10000000", 86_400_000],
  ])("?%s -> %i ms", (query, ms) => {
    const r = q(query);
    expect("error" in r ? r : r.intervalMs).toBe(ms);
  });

  it.each(["interval=abc", "interval=5s", "interval=7&interval=x", "interval=Infinity", "interval=0x10"])("?%s is an error", (query) => {
    expect(q(query)).toMatchObject({ error: "invalid parameter" });
  });

  it("selects exact ids and prefixes; nothing listed selects all", () => {
    const sel = metricSelector("sse.*, events.received,,unknown");
    expect(["sse.clients", "events.received", "events.dropped", "server.memory"].filter(sel)).toEqual(["sse.clients", "events.received"]);
    expect(metricSelector(undefined)("anything")).toBe(true);
    expect(metricSelector(",")("anything")).toBe(true);
  });
});

describe("frames", () => {
  it("are the wire format of CONTRACT 4", () => {
    expect(pingFrame(30000)).toBe('event: ping\ndata: {"interval":30000}\n\n');
    expect(GAP_FRAME).toBe('event: gap\ndata: {"missed":true}\n\n');
    expect(droppedFrame(3)).toBe('event: dropped\ndata: {"count":3}\n\n');
    expect(droppedFrame(3, "1-3", "1-5")).toBe('event: dropped\ndata: {"count":3,"fromId":"1-3","toId":"1-5"}\n\n');
    expect(traceFrame("1-2", '{"a":1},{"b":2}')).toBe('id: 1-2\nevent: trace\ndata: [{"a":1},{"b":2}]\n\n');
    expect(metricsFrame([{ id: "a", type: "counter", value: 1 }])).toBe('event: metrics\ndata: [{"id":"a","type":"counter","value":1}]\n\n');
  });

  it("never lets an id break the frame", () => {
    expect(traceFrame("1-2\nevent: evil", "{}")).toBe("id: 1-2event: evil\nevent: trace\ndata: [{}]\n\n");
    expect(traceFrame("a\r\0b", "{}")).toBe("id: ab\nevent: trace\ndata: [{}]\n\n");
  });
});

describe("Prometheus exposition", () => {
  it.each([
    ["events.received", "counter", "events_received_total"],
    ["smtp.connection-start", "counter", "smtp_connection_start_total"],
    ["requests_total", "counter", "requests_total"],
    ["server.memory", "gauge", "server_memory"],
    ["sse.batch-size", "histogram", "sse_batch_size"],
    ["4xx.count", "gauge", "_4xx_count"],
  ] as const)("%s (%s) -> %s", (id, type, name) => expect(prometheusName(id, type)).toBe(name));

  it("reads values at scrape time and picks up metrics created later", async () => {
    const metrics = new MetricsRegistry();
    const exporter = new PrometheusExporter(metrics);
    metrics.counter("a.b", "A help text").inc(2);
    expect(await exporter.scrape()).toContain("# HELP a_b_total A help text\n# TYPE a_b_total counter\na_b_total 2\n");
    metrics.counter("a.b").inc();
    const h = metrics.histogram("lat.ms", "", [1, 5]);
    h.observe(0.5);
    h.observe(3);
    h.observe(9);
    const text = await exporter.scrape();
    expect(text).toContain("a_b_total 3\n");
    expect(text).toContain(
      ['lat_ms_bucket{le="1"} 1', 'lat_ms_bucket{le="5"} 2', 'lat_ms_bucket{le="+Inf"} 3', "lat_ms_sum 12.5", "lat_ms_count 3"].join("\n"),
    );
  });

  it("keeps the first of two ids that map to one name", async () => {
    const metrics = new MetricsRegistry();
    metrics.counter("a.b").inc(1);
    metrics.counter("a-b").inc(5);
    const text = await new PrometheusExporter(metrics).scrape();
    expect(text.match(/^a_b_total \d+$/gm)).toEqual(["a_b_total 5"]);
  });
});

describe("options", () => {
  it("describe every option and default as documented", () => {
    const json = z.toJSONSchema(SseOptions, { io: "input" }) as { properties: Record<string, { description?: string }> };
    for (const [key, prop] of Object.entries(json.properties)) expect(prop.description, key).toBeTruthy();
    expect(SseOptions.parse({})).toEqual({
      address: "127.0.0.1:8080",
      batchWindowMs: 100,
      batchMaxEvents: 500,
      pingIntervalMs: 30000,
      replayEvents: 10000,
      clientBufferEvents: 10000,
      clientBufferBytes: 4194304,
      stallTimeoutMs: 30000,
      maxClients: 1000,
      defaultMetricsIntervalSeconds: 30,
      followSeconds: 300,
      maxFollowed: 1000,
      maxTopKeys: 10000,
      metricsHistorySeconds: 86400,
      metricsHistoryIntervalSeconds: 60,
      loginTokenSeconds: 3600,
    });
  });

  it("rejects an address that is not host:port", () => {
    const r = SseOptions.safeParse({ address: "localhost" });
    expect(r.success).toBe(false);
    expect(r.error?.issues[0]).toMatchObject({ path: ["address"] });
  });
});
