import { execFileSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import https from "node:https";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { PluginProblems } from "../../../core/index.js";
import { createPlugin, defaultServices } from "../../../core/testing.js";
import sseDefinition from "./index.js";
import { eventMaker, get, runSink, StreamReader, type RunningSink } from "./test-support.js";
import { until } from "../../../test/support/until.js";

const startSink = (options: Record<string, unknown> = {}) => runSink(createPlugin(sseDefinition, { address: "127.0.0.1:0", ...options }));

const TRACES = "/api/telemetry/traces/live";
const METRICS = "/api/telemetry/metrics/live";

let running: RunningSink[] = [];
const readers: StreamReader[] = [];
async function sink(options: Record<string, unknown> = {}): Promise<RunningSink> {
  const s = await startSink(options);
  running.push(s);
  return s;
}
async function open(url: string, headers: Record<string, string> = {}): Promise<StreamReader> {
  const r = await StreamReader.open(url, headers);
  readers.push(r);
  return r;
}

afterEach(async () => {
  for (const r of readers.splice(0)) r.close();
  await Promise.all(running.map((s) => s.close()));
  running = [];
});

describe("traces stream", () => {
  it("answers with stream headers and a ping at once", async () => {
    const s = await sink({ pingIntervalMs: 25_000 });
    const r = await open(s.url + TRACES);
    expect(r.status).toBe(200);
    expect(r.headers["content-type"]).toBe("text/event-stream");
    expect(r.headers["cache-control"]).toBe("no-store");
    expect(r.headers["x-accel-buffering"]).toBe("no");
    await r.connected();
    expect(r.frames[0]).toEqual({ event: "ping", data: '{"interval":25000}' });
  });

  it("pings every pingIntervalMs", async () => {
    const s = await sink({ pingIntervalMs: 100 });
    const r = await open(s.url + TRACES);
    await r.until((x) => x.frames.filter((f) => f.event === "ping").length >= 3, "three pings");
  });

  it("sends events as JSON batches whose id is the last event's", async () => {
    const s = await sink({ batchWindowMs: 20 });
    const ev = eventMaker();
    const r = await open(s.url + TRACES);
    await r.connected();
    const e1 = ev("smtp.connection-start", { remoteIp: "192.0.2.7", n: 1, ok: true, nested: { a: [1, "x"] } });
    const e2 = { ...ev("file.line", { path: "/x", offset: 0, message: "line\nbreak" }), text: "a line" };
    s.input.next(e1);
    s.input.next(e2);
    await r.until((x) => x.events().length === 2, "the batch");
    const trace = r.frames.find((f) => f.event === "trace")!;
    expect(trace.id).toBe(e2.id);
    expect(JSON.parse(trace.data)).toEqual([e1, e2]);
  });

  it("splits at batchMaxEvents and sends the rest after the window, never an empty batch", async () => {
    const s = await sink({ batchMaxEvents: 3, batchWindowMs: 30 });
    const ev = eventMaker();
    const r = await open(s.url + TRACES);
    await r.connected();
    const sent = Array.from({ length: 7 }, () => ev("a.b"));
    for (const e of sent) s.input.next(e);
    await r.until((x) => x.events().length === 7, "7 events");
    // Give a (wrong) empty batch the chance to show up.
    await new Promise((res) => setTimeout(res, 100));
    const traces = r.frames.filter((f) => f.event === "trace");
    expect(traces.map((f) => (JSON.parse(f.data) as unknown[]).length)).toEqual([3, 3, 1]);
    expect(traces.map((f) => f.id)).toEqual([sent[2].id, sent[5].id, sent[6].id]);
    expect(r.ids()).toEqual(sent.map((e) => e.id));
  });

  describe("filters, end to end", () => {
    const ev = eventMaker();
    const EVENTS = [
      ev("smtp.connection-start", { remoteIp: "192.0.2.7", domain: "example.org", listenerId: "smtp" }),
      ev("smtp.connection-end", { remoteIp: "198.51.100.9", durationMs: 1234 }),
      ev("imap.login", { remoteIp: "192.0.2.7", user: "alice smith", tls: true, tags: ["vip"] }),
      ev("syslog.message", { hostname: "mx1", structuredData: { meta: { seq: "77" } } }),
      ev("file.line", { path: "/var/log/a b.log", message: "100% done" }),
    ];
    const n = (...idx: number[]) => idx.map((i) => EVENTS[i].id);
    const CASES: [query: string, expected: string[]][] = [
      ["", n(0, 1, 2, 3, 4)],
      ["filter=192.0.2", n(0, 2)],
      ["filter=1234", n(1)],
      ["filter=true", n(2)],
      ["filter=77", n(3)],
      ["filter=alice+smith", n(2)],
      ["filter=100%25", n(4)],
      ["filter=a%20b", n(4)],
      ["remote-ip=192.0.2.7", n(0, 2)],
      ["remote-ip=192&user=alice", n(2)],
      ["remote-ip=192&filter=example", n(0)],
      ["listener-id=smtp", n(0)],
      ["structured-data=77", n(3)],
      ["tags=vip", n(2)],
      ["missing-key=x", []],
      ["type=smtp.*", n(0, 1)],
      ["type=imap.login,file.line", n(2, 4)],
      ["type=smtp.connection-end", n(1)],
      ["type=smtp.*&remote-ip=192", n(0)],
      ["filter=alice&filter=mx1", n(3)],
      ["filter=alice&filter=", n(0, 1, 2, 3, 4)],
      ["token=whatever&lastEventId=", n(0, 1, 2, 3, 4)],
    ];

    it("gives each client exactly the matching events", async () => {
      const s = await sink({ batchWindowMs: 10 });
      const clients = await Promise.all(CASES.map(([q]) => open(`${s.url}${TRACES}?${q}`)));
      await Promise.all(clients.map((c) => c.connected()));
      for (const e of EVENTS) s.input.next(e);
      // Completing the input flushes every queue; stop() then ends every response.
      s.input.complete();
      await s.consumed;
      await s.sink.stop!();
      await Promise.all(clients.map((c) => c.until((x) => x.ended, "the end of the stream")));
      const got = Object.fromEntries(CASES.map(([q], i) => [q, clients[i].ids()]));
      expect(got).toEqual(Object.fromEntries(CASES));
    });
  });

  it("answers 400 {error, details} for a bad parameter name", async () => {
    const s = await sink();
    const res = await get(`${s.url}${TRACES}?remote_ip=1`);
    expect(res.status).toBe(400);
    const body = JSON.parse(res.body);
    expect(body.error).toBe("invalid parameter");
    expect(body.details).toContain("remote_ip");
  });

  it("answers 503 with Retry-After when maxClients streams (of both kinds) are open", async () => {
    const s = await sink({ maxClients: 2 });
    const a = await open(s.url + TRACES);
    const b = await open(s.url + METRICS);
    await Promise.all([a.connected(), b.connected()]);
    for (const path of [TRACES, METRICS]) {
      const res = await get(s.url + path);
      expect(res.status).toBe(503);
      expect(Number(res.headers.get("retry-after"))).toBeGreaterThan(0);
      expect(JSON.parse(res.body).error).toBe("service unavailable");
    }
    // Parameters are checked before capacity.
    expect((await get(`${s.url}${TRACES}?Bad=1`)).status).toBe(400);
    expect((await get(`${s.url}${METRICS}?interval=soon`)).status).toBe(400);
    a.close();
    await until(() => s.services.metrics.gauge("sse.clients").value === 1, "the slot to free");
    const c = await open(s.url + TRACES);
    expect(c.status).toBe(200);
  });
});

describe("replay", () => {
  it("sends the retained events after Last-Event-ID (header) that match, then live ones, once each", async () => {
    const s = await sink({ batchWindowMs: 10 });
    const ev = eventMaker();
    const before = Array.from({ length: 10 }, (_, i) => ev(i % 2 ? "imap.login" : "smtp.x", { i }));
    for (const e of before) s.input.next(e);
    const r = await open(`${s.url}${TRACES}?type=smtp.*`, { "last-event-id": before[3].id });
    await r.connected();
    const live = [ev("smtp.x", { i: 10 }), ev("imap.login"), ev("smtp.x", { i: 12 })];
    for (const e of live) s.input.next(e);
    const expected = [...before.slice(4), ...live].filter((e) => e.type === "smtp.x").map((e) => e.id);
    await r.until((x) => x.ids().length >= expected.length, "replay and live");
    expect(r.frames[0].event).toBe("ping");
    expect(r.frames.some((f) => f.event === "gap")).toBe(false);
    expect(r.ids()).toEqual(expected);
  });

  it("takes lastEventId from the query, and the header over the query", async () => {
    const s = await sink();
    const ev = eventMaker();
    const before = Array.from({ length: 5 }, () => ev("a.b"));
    for (const e of before) s.input.next(e);
    const q = await open(`${s.url}${TRACES}?lastEventId=${before[2].id}`);
    await q.until((x) => x.ids().length === 2, "replay");
    expect(q.ids()).toEqual([before[3].id, before[4].id]);
    const both = await open(`${s.url}${TRACES}?lastEventId=${before[0].id}`, { "last-event-id": before[3].id });
    await both.until((x) => x.ids().length === 1, "replay");
    expect(both.ids()).toEqual([before[4].id]);
  });

  it("sends nothing to replay (and no gap) when the client has the newest event", async () => {
    const s = await sink({ batchWindowMs: 10 });
    const ev = eventMaker();
    const e = ev("a.b");
    s.input.next(e);
    const r = await open(s.url + TRACES, { "last-event-id": e.id });
    await r.connected();
    const next = ev("a.b");
    s.input.next(next);
    await r.until((x) => x.ids().length === 1, "the live event");
    expect(r.frames.map((f) => f.event)).toEqual(["ping", "trace"]);
    expect(r.ids()).toEqual([next.id]);
  });

  it("sends a gap frame after ping, then the whole ring, when the id is older than the ring", async () => {
    const s = await sink({ replayEvents: 5 });
    const ev = eventMaker();
    const all = Array.from({ length: 12 }, (_, i) => ev(i % 3 ? "a.b" : "c.d"));
    for (const e of all) s.input.next(e);
    const r = await open(`${s.url}${TRACES}?type=a.b`, { "last-event-id": all[1].id });
    const expected = all.slice(7).filter((e) => e.type === "a.b").map((e) => e.id);
    await r.until((x) => x.ids().length === expected.length, "the ring");
    expect(r.frames[0].event).toBe("ping");
    expect(r.frames[1]).toEqual({ event: "gap", data: '{"missed":true}' });
    expect(r.ids()).toEqual(expected);
  });

  it("treats an unknown id as a gap", async () => {
    const s = await sink();
    const ev = eventMaker();
    const e = ev("a.b");
    s.input.next(e);
    const r = await open(s.url + TRACES, { "last-event-id": "999-999" });
    await r.until((x) => x.ids().length === 1, "the ring");
    expect(r.frames.map((f) => f.event)).toEqual(["ping", "gap", "trace"]);
  });
});

describe("metrics stream", () => {
  it("sends the selected metrics at once (prefixes, unknown ids ignored), then every interval", async () => {
    const s = await sink();
    const m = s.services.metrics;
    m.counter("test.alpha").inc(3);
    m.counter("test.beta");
    m.gauge("other.x").set(7);
    m.histogram("other.h", "", [1, 10]).observe(4);
    m.counter("not.selected");
    const r = await open(`${s.url}${METRICS}?metrics=test.*,other.x,other.h,unknown.id&interval=0.1`);
    expect(r.status).toBe(200);
    expect(r.headers["content-type"]).toBe("text/event-stream");
    await r.connected();
    expect(r.frames[0].event).toBe("metrics");
    expect(JSON.parse(r.frames[0].data)).toEqual([
      { id: "other.h", type: "histogram", count: 1, sum: 4 },
      { id: "other.x", type: "gauge", value: 7 },
      { id: "test.alpha", type: "counter", value: 3 },
      { id: "test.beta", type: "counter", value: 0 },
    ]);
    m.counter("test.alpha").inc();
    // interval=0.1 is raised to 1 s.
    await r.until((x) => x.frames.length >= 2, "a second frame", 5000);
    expect(JSON.parse(r.frames[1].data)).toContainEqual({ id: "test.alpha", type: "counter", value: 4 });
  });

  it("sends the first frame at once even with a long interval, all metrics without a selection", async () => {
    const s = await sink();
    s.services.metrics.counter("events.received").inc(2);
    const r = await open(`${s.url}${METRICS}?interval=3600`);
    await r.connected();
    const ids = (JSON.parse(r.frames[0].data) as { id: string }[]).map((x) => x.id);
    expect(ids).toEqual(expect.arrayContaining(["events.received", "sse.clients", "sse.dropped", "sse.batch-size", "sse.events-sent"]));
  });

  // A blank value is not an empty one: it is still not a number.
  it.each(["abc", "1s", "NaN", "Infinity", " "])("answers 400 for interval=%j", async (interval) => {
    const s = await sink();
    const res = await get(`${s.url}${METRICS}?interval=${encodeURIComponent(interval)}`);
    expect(res.status).toBe(400);
    expect(JSON.parse(res.body)).toMatchObject({ error: "invalid parameter" });
  });
});

describe("other endpoints", () => {
  it("/metrics is Prometheus text 0.0.4: underscores, counters _total, histograms _bucket/_sum/_count", async () => {
    const s = await sink({ batchWindowMs: 5 });
    const m = s.services.metrics;
    m.counter("events.received", "Events received from all sources").inc(5);
    m.eventTypeCounter("smtp.connection-start").inc(2);
    const r = await open(s.url + TRACES);
    await r.connected();
    s.input.next(eventMaker()("a.b"));
    await r.until((x) => x.ids().length === 1, "an event");
    const res = await get(s.url + "/metrics");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/plain; version=0.0.4; charset=utf-8");
    const samples = new Map<string, number>();
    const types = new Map<string, string>();
    for (const line of res.body.split("\n")) {
      if (line === "") continue;
      const t = /^# TYPE (\S+) (counter|gauge|histogram)$/.exec(line);
      if (t) types.set(t[1], t[2]);
      if (line.startsWith("#")) continue;
      const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*(?:\{[^}]*\})?) (\S+)$/.exec(line);
      expect(sample, line).not.toBeNull();
      samples.set(sample![1], Number(sample![2]));
    }
    expect(types.get("events_received_total")).toBe("counter");
    expect(samples.get("events_received_total")).toBe(5);
    expect(samples.get("smtp_connection_start_total")).toBe(2);
    expect(samples.get("sse_events_sent_total")).toBe(1);
    expect(types.get("sse_clients")).toBe("gauge");
    expect(samples.get("sse_clients")).toBe(1);
    expect(types.get("sse_batch_size")).toBe("histogram");
    expect(samples.get('sse_batch_size_bucket{le="1"}')).toBe(1);
    expect(samples.get('sse_batch_size_bucket{le="+Inf"}')).toBe(1);
    expect(samples.get("sse_batch_size_sum")).toBe(1);
    expect(samples.get("sse_batch_size_count")).toBe(1);
  });

  it("/healthz is ok", async () => {
    const s = await sink();
    const res = await get(s.url + "/healthz");
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toEqual({ status: "ok" });
  });

  it("/ is a page listing the endpoints", async () => {
    const s = await sink();
    const res = await get(s.url + "/");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/html/);
    for (const path of [TRACES, METRICS, "/metrics", "/healthz"]) expect(res.body).toContain(path);
  });

  it("the token endpoints answer {data} (tokens are ignored without auth)", async () => {
    const s = await sink();
    const res = await get(s.url + "/api/telemetry/live/tracing-token");
    expect(res.status).toBe(200);
    expect(typeof JSON.parse(res.body).data).toBe("string");
    const r = await open(`${s.url}${TRACES}?token=garbage`);
    expect(r.status).toBe(200);
  });
});

describe("lifecycle", () => {
  it("refuses to start on a non-loopback address without auth", async () => {
    const { plugin } = createPlugin(sseDefinition, { address: "0.0.0.0:8080" });
    const err = await plugin.start!().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(PluginProblems);
    expect((err as PluginProblems).problems).toEqual([
      {
        path: ["address"],
        message: '0.0.0.0:8080 is not a loopback address: set "auth" (bearer tokens or basic users) to serve streams on it',
      },
    ]);
  });

  it("starts on a non-loopback address with auth", async () => {
    const { plugin, services } = createPlugin(sseDefinition, { address: "0.0.0.0:0", auth: { bearer: ["0123456789abcdef-token"] } });
    await plugin.start!();
    await plugin.stop!();
    await services.http.closeAll();
  });

  it("stop() is safe twice and without start()", async () => {
    const { plugin } = createPlugin(sseDefinition, {});
    await plugin.stop!();
    await plugin.stop!();
  });

  it("consume() resolves once the input completed and the queues are flushed; stop() ends the streams", async () => {
    const s = await sink({ batchWindowMs: 60_000 });
    const ev = eventMaker();
    const r = await open(s.url + TRACES);
    await r.connected();
    const sent = [ev("a.b"), ev("a.b")];
    for (const e of sent) s.input.next(e);
    s.input.complete();
    await s.consumed; // does not wait for the 60 s window
    await r.until((x) => x.ids().length === 2, "the events");
    await s.sink.stop!();
    await r.until((x) => x.ended, "the end");
    await s.sink.stop!();
    expect(s.services.metrics.gauge("sse.clients").value).toBe(0);
  });

  it("reports a second sse sink on the same address as a problem at its address", async () => {
    const port = await new Promise<number>((resolve) => {
      const probe = net.createServer().listen(0, "127.0.0.1", () => {
        const p = (probe.address() as net.AddressInfo).port;
        probe.close(() => resolve(p));
      });
    });
    const services = defaultServices();
    const first = createPlugin(sseDefinition, { address: `127.0.0.1:${port}` }, services).plugin;
    const second = createPlugin(sseDefinition, { address: `127.0.0.1:${port}` }, services).plugin;
    try {
      await first.start!();
      const err = await second.start!().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(PluginProblems);
      expect((err as PluginProblems).problems[0].path).toEqual(["address"]);
    } finally {
      await first.stop!();
      await services.http.closeAll();
    }
  });

  const hasOpenssl = (() => {
    try {
      execFileSync("openssl", ["version"], { stdio: "ignore" });
      return true;
    } catch {
      return false;
    }
  })();
  it.skipIf(!hasOpenssl)("serves the streams over HTTPS with tls", async () => {
    const dir = mkdtempSync(join(tmpdir(), "livetap-sse-tls-"));
    const cert = join(dir, "cert.pem");
    const key = join(dir, "key.pem");
    execFileSync("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key, "-out", cert, "-days", "1", "-subj", "/CN=localhost"], { stdio: "ignore" });
    const s = await sink({ tls: { cert, key } });
    expect(s.url.startsWith("https://")).toBe(true);
    const first = await new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = https.get(s.url + TRACES, { rejectUnauthorized: false, agent: false }, (res) => {
        res.setEncoding("utf8");
        res.once("data", (text: string) => {
          resolve({ status: res.statusCode ?? 0, text });
          req.destroy();
        });
      });
      req.on("error", reject);
    });
    expect(first.status).toBe(200);
    expect(first.text).toContain("event: ping");
  });

  it("answers 503 to new streams once stopped", async () => {
    const s = await sink();
    await s.sink.stop!();
    expect((await get(s.url + TRACES)).status).toBe(503);
  });
});
