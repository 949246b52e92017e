/** The dashboard page's DOM-free logic (plugins/sinks/sse/dashboard/src/lib), in Node. */
import { describe, expect, it } from "vitest";
import type { LiveEvent } from "../core/index.js";
import { compileFilter, isFilterError } from "../core/kit.js";
import { fieldsSummary, formatBytes, formatNumber, formatValue, levelOf } from "../plugins/sinks/sse/dashboard/src/lib/format.js";
import { MetricStore, pointBetween, unitOf } from "../plugins/sinks/sse/dashboard/src/lib/metrics.js";
import { camelToKebab } from "../core/lib/filter/names.js";
import { filterFromQuery, keyToParam, queryFromFilter, sameQuery, streamUrl } from "../plugins/sinks/sse/dashboard/src/lib/query.js";
import { Ring } from "../plugins/sinks/sse/dashboard/src/lib/ring.js";
import { EventStore, Marker } from "../plugins/sinks/sse/dashboard/src/lib/store.js";
import {
  DroppedLog,
  layoutPipeline,
  localFromSince,
  MAX_DROPPED_RANGES,
  parsePipeline,
  parseTopFrame,
  PipelineRates,
  scopeText,
  sinceChoice,
  sinceFromLocal,
  tokenScope,
  viewFromQuery,
  withView,
} from "../plugins/sinks/sse/dashboard/src/lib/view.js";
import { StreamAuth } from "../plugins/sinks/sse/auth.js";
import { parseSince, TRACES_PARAMS } from "../plugins/sinks/sse/stream-query.js";

const ev = (type: string, data: Record<string, unknown> = {}) => ({ id: "1-1", type, createdAt: "2026-11-24T11:50:00.123Z", data });

describe("dashboard ring", () => {
  it("keeps the newest `capacity` items, oldest forgotten first", () => {
    const r = new Ring<number>(3);
    expect(r.push(1)).toBeUndefined();
    r.push(2);
    r.push(3);
    expect(r.push(4)).toBe(1);
    expect([...r]).toEqual([2, 3, 4]);
    expect(r.fromNewest(0)).toBe(4);
    expect(r.fromNewest(2)).toBe(2);
    expect(r.fromNewest(3)).toBeUndefined();
    expect(r.at(-1)).toBeUndefined();
    r.clear();
    expect(r.size).toBe(0);
    expect([...r]).toEqual([]);
  });

  it("refuses a capacity below one", () => {
    expect(() => new Ring(0)).toThrow(RangeError);
  });
});

describe("dashboard filter query", () => {
  it("maps data keys to the endpoint's kebab-case names and back", () => {
    expect(camelToKebab("remoteIp")).toBe("remote-ip");
    expect(keyToParam("remoteIp")).toBe("remote-ip");
    expect(keyToParam("remote-ip")).toBe("remote-ip");
    expect(keyToParam(" listenerId ")).toBe("listener-id");
    expect(keyToParam("ipv6Addr")).toBe("ipv6-addr");
    for (const bad of ["remote_ip", "a.b", "RemoteIp", "", "-x", "a--b"]) expect(keyToParam(bad)).toBeUndefined();
  });

  it("builds the query the endpoint reads back as the same conditions", () => {
    const { params, problems } = queryFromFilter({
      filter: "example",
      types: " smtp.* , delivery.failed ,",
      keys: [
        { key: "remoteIp", value: "192.0.2." },
        { key: "listener-id", value: "smtp" },
        { key: "", value: "ignored while typing" },
        { key: "domain", value: "" },
      ],
    });
    expect(problems).toEqual([]);
    expect(params.toString()).toBe("filter=example&type=smtp.*%2Cdelivery.failed&remote-ip=192.0.2.&listener-id=smtp");
    const compiled = compileFilter(params);
    if (isFilterError(compiled)) throw new Error(compiled.details);
    expect(compiled.conditions).toEqual({
      filter: "example",
      types: { exact: ["delivery.failed"], prefixes: ["smtp."] },
      keys: { remoteIp: "192.0.2.", listenerId: "smtp" },
    });
  });

  it("reads a shared address back into the controls, with the endpoint's rules", () => {
    expect(filterFromQuery("?filter=a&filter=b&type=smtp.*&remote-ip=192.0.2.7&domain=&token=t&lastEventId=1-1")).toEqual({
      filter: "b",
      types: "smtp.*",
      keys: [{ key: "remoteIp", value: "192.0.2.7" }],
    });
    const state = { filter: "x y+z", types: "imap.*", keys: [{ key: "sessionId", value: "a&b=c" }] };
    expect(filterFromQuery(queryFromFilter(state).params)).toEqual(state);
  });

  it("says which controls cannot be applied", () => {
    const { problems } = queryFromFilter({
      filter: "",
      types: "",
      keys: [
        { key: "remote_ip", value: "1" },
        { key: "token", value: "1" },
        { key: "domain", value: "a" },
        { key: "domain", value: "b" },
      ],
    });
    expect(problems).toHaveLength(3);
    expect(problems[0]).toContain('"remote_ip" cannot be filtered on');
    expect(problems[1]).toContain("reserved");
    expect(problems[2]).toContain("two rows");
  });

  it("compares queries whatever their order, and adds the page's own parameters to stream URLs", () => {
    expect(sameQuery(new URLSearchParams("a=1&b=2"), new URLSearchParams("b=2&a=1"))).toBe(true);
    expect(sameQuery(new URLSearchParams("a=1"), new URLSearchParams("a=2"))).toBe(false);
    expect(streamUrl("api/x", new URLSearchParams("type=a.*"), { lastEventId: "0-0", token: undefined })).toBe("api/x?type=a.*&lastEventId=0-0");
    expect(streamUrl("api/x", new URLSearchParams())).toBe("api/x");
  });
});

describe("dashboard metrics", () => {
  it("turns cumulative counters into rates, histograms into interval means, and keeps gauges", () => {
    const m = new MetricStore(3);
    const frame = (received: number, count: number, sum: number, memory: number) => [
      { id: "events.received", type: "counter", value: received },
      { id: "event.latency", type: "histogram", count, sum },
      { id: "server.memory", type: "gauge", value: memory },
    ];
    expect(m.ingest(frame(100, 10, 50, 1000), 10)).toEqual(["events.received", "event.latency", "server.memory"]);
    expect(m.ingest(frame(120, 10, 50, 1100), 12)).toEqual([]);
    m.ingest(frame(150, 14, 90, 1200), 14);
    expect(m.get("events.received")!.values).toEqual([10, 15]);
    expect(m.get("event.latency")!.values).toEqual([null, 10]);
    expect(m.get("server.memory")!.values).toEqual([1000, 1100, 1200]);
    m.ingest(frame(160, 14, 90, 1300), 16);
    expect(m.get("server.memory")!.values).toEqual([1100, 1200, 1300]);
    expect(m.get("server.memory")!.times).toEqual([12, 14, 16]);
    expect(m.catalog().map((c) => c.id)).toEqual(["event.latency", "events.received", "server.memory"]);
  });

  it("puts the server's history in front of the live points: counters as rates over a round, histograms as means", () => {
    const m = new MetricStore();
    m.ingest([{ id: "c", type: "counter", value: 1000 }, { id: "g", type: "gauge", value: 7 }], 1000, 2, true);
    m.ingest([{ id: "c", type: "counter", value: 1010 }, { id: "g", type: "gauge", value: 8 }], 1002, 2);
    const at = (s: number) => new Date(s * 1000).toISOString();
    const added = m.ingestHistory([
      { type: "counter", id: "c", timestamp: at(880), value: 120 },
      { type: "gauge", id: "g", timestamp: at(880), value: 5 },
      { type: "histogram", id: "h", timestamp: at(880), count: 4, sum: 10 },
      { type: "counter", id: "c", timestamp: at(940), value: 60 },
      { type: "counter", id: "c", timestamp: at(1002), value: 1 }, // not older than the live points: left out
      { type: "gauge", id: "g" }, // no timestamp: skipped
    ]);
    expect(added).toEqual(["h"]);
    expect(m.get("c")!.times).toEqual([880, 940, 1002]);
    expect(m.get("c")!.values).toEqual([2, 1, 5]);
    expect(m.get("g")!.values).toEqual([5, 7, 8]);
    expect(m.get("h")!.values).toEqual([2.5]);
    m.ingest([{ id: "h", type: "histogram", count: 100, sum: 100 }], 1004, 2); // first live sample of h: no difference yet
    expect(m.get("h")!.values).toEqual([2.5]);
  });

  it("shows no rate across a counter reset (server restart), and skips malformed samples", () => {
    expect(pointBetween({ id: "a", type: "counter", value: 50 }, { id: "a", type: "counter", value: 3 }, 2)).toBeNull();
    const m = new MetricStore();
    expect(m.ingest([{ id: "a", type: "counter" }, { type: "gauge", value: 1 }, null, "x", { id: "h", type: "histogram", count: "1", sum: 1 }], 1)).toEqual([]);
    expect(m.ingest("not an array", 1)).toEqual([]);
    expect(m.size).toBe(0);
  });

  it("takes the time between frames as whole intervals, so a late frame makes no spike", () => {
    const m = new MetricStore();
    const c = (value: number) => [{ id: "c", type: "counter", value }];
    m.ingest(c(0), 100.0, 1);
    m.ingest(c(20), 100.4, 1); // the first frame arrived late: 0.4 s apart here, 1 s apart at the server
    m.ingest(c(40), 101.4, 1);
    m.ingest(c(80), 103.5, 1); // one frame skipped by the server (socket full)
    expect(m.get("c")!.values).toEqual([20, 20, 20]);
  });

  it("starts counters and histograms over on a new connection, and keeps charting gauges", () => {
    const m = new MetricStore();
    const f = (v: number) => [
      { id: "c", type: "counter", value: v },
      { id: "g", type: "gauge", value: v },
    ];
    m.ingest(f(10), 1, 1);
    m.ingest(f(20), 2, 1);
    m.ingest(f(500), 2.3, 5, true); // reconnected with interval=5
    m.ingest(f(550), 7.3, 5);
    expect(m.get("c")!.values).toEqual([10, 10]);
    expect(m.get("g")!.values).toEqual([10, 20, 500, 550]);
  });

  it("keeps at most `maxSeries` metrics", () => {
    const m = new MetricStore(10, 2);
    m.ingest(["a", "b", "c"].map((id) => ({ id, type: "gauge", value: 1 })), 1);
    expect(m.size).toBe(2);
  });

  it("guesses units for display", () => {
    expect(unitOf("server.memory", "gauge")).toBe("bytes");
    expect(unitOf("event.latency", "histogram")).toBe("ms");
    expect(unitOf("server.uptime", "gauge")).toBe("s");
    expect(unitOf("smtp.mail-from", "counter")).toBe("/s");
    expect(formatValue(48.12, "/s")).toBe("48.1/s");
    expect(formatBytes(159_383_552)).toBe("152 MiB");
    expect(formatNumber(12_345)).toBe("12.3k");
    expect(formatNumber(1234)).toBe("1,234");
    expect(formatValue(null, "ms")).toBe("–");
  });
});

describe("dashboard event store", () => {
  it("holds arrivals while paused, counts them, and shows them in order on resume", () => {
    const s = new EventStore(100);
    s.addEvents([ev("a.x"), ev("a.y")], 0);
    expect(s.takeAdded()).toBe(2);
    s.pause();
    s.addEvents([ev("b.x"), ev("b.y"), ev("b.z")], 0);
    s.addMarker(new Marker("dropped", 7, 0));
    expect(s.rows.size).toBe(2);
    expect(s.heldEvents).toBe(3);
    expect(s.takeAdded()).toBe(0);
    expect(s.resume()).toBe(4);
    expect(s.takeAdded()).toBe(4);
    expect([...s.rows].map((r) => (r instanceof Marker ? r.kind : r.type))).toEqual(["a.x", "a.y", "b.x", "b.y", "b.z", "dropped"]);
    expect(s.heldEvents).toBe(0);
  });

  it("keeps the newest rows within its capacity, clears, and learns types and keys for suggestions", () => {
    const s = new EventStore(3);
    s.addEvents([1, 2, 3, 4, 5].map((i) => ev(`t.e${i}`, { remoteIp: "x", [`k${i}`]: i })), 0);
    expect(s.rows.size).toBe(3);
    expect((s.rows.fromNewest(0) as LiveEvent).type).toBe("t.e5");
    expect(s.received).toBe(5);
    expect(s.knownTypes.size).toBe(5);
    expect(s.knownKeys.has("remoteIp")).toBe(true);
    s.clear();
    expect(s.rows.size).toBe(0);
    expect(s.received).toBe(0);
  });

  it("ignores what is not an event, and measures the arrival rate", () => {
    const s = new EventStore(10);
    expect(s.addEvents([null, 1, { data: {} }, ev("ok.one")], 1_000)).toBe(1);
    expect(s.addEvents({ not: "an array" }, 1_000)).toBe(0);
    s.addEvents(Array.from({ length: 9 }, () => ev("a.b")), 2_500);
    expect(s.rate(6_000)).toBe(2);
  });
});

describe("dashboard row text", () => {
  it("summarises data fields without the level, and maps levels and severities", () => {
    expect(fieldsSummary({ remoteIp: "192.0.2.7", level: "info", size: 12, tls: true, to: ["a", "b"] })).toBe('remoteIp=192.0.2.7  size=12  tls=true  to=["a","b"]');
    expect(fieldsSummary({ k: "x".repeat(500) }).length).toBeLessThanOrEqual(240);
    expect(fieldsSummary(null)).toBe("");
    expect(levelOf({ level: "error" })).toBe("error");
    expect(levelOf({ severity: "warning" })).toBe("warning");
    expect(levelOf({ severity: "crit" })).toBe("error");
    expect(levelOf({ severity: "debug" })).toBe("info");
    expect(levelOf({})).toBeUndefined();
  });
});

describe("dashboard live view parameters", () => {
  it("reads follow, since and outputs-of beside the filters, never as key filters, and writes them back", () => {
    const search = "?remote-ip=192.0.2.99&follow=sessionId&since=5m&outputs-of=operators.no-debug&follow=";
    expect(viewFromQuery(search)).toEqual({ follow: "", since: "5m", outputsOf: "operators.no-debug" });
    expect(filterFromQuery(search).keys).toEqual([{ key: "remoteIp", value: "192.0.2.99" }]);
    const params = withView(new URLSearchParams("remote-ip=192.0.2.99"), { follow: "sessionId", since: "", outputsOf: "sources.demo" });
    expect(params.toString()).toBe("remote-ip=192.0.2.99&follow=sessionId&outputs-of=sources.demo");
    // The server reads every one of them as reserved, not as a key filter.
    for (const name of ["follow", "since", "outputs-of"]) expect(TRACES_PARAMS.has(name)).toBe(true);
  });

  it("maps since to the choices, and a local date-time to an RFC 3339 time the server takes", () => {
    expect(sinceChoice("")).toBe("");
    expect(sinceChoice("5m")).toBe("5m");
    expect(sinceChoice("1h")).toBe("1h");
    expect(sinceChoice("90s")).toBe("time");
    expect(sinceChoice("2026-11-24T11:50:00Z")).toBe("time");
    const utc = sinceFromLocal("2026-11-24T11:50");
    expect(utc).toMatch(/^2026-11-2[345]T\d\d:\d\d:00Z$/);
    expect(typeof parseSince(utc!, Date.now())).toBe("number");
    expect(localFromSince(utc!)).toBe("2026-11-24T11:50:00");
    for (const bad of ["", "yesterday", "2026-11-24", "2026-13-45T99:99"]) expect(sinceFromLocal(bad), bad).toBeUndefined();
    expect(localFromSince("5m")).toBe("");
  });

  it("reads the scope a server's token carries (display only), and nothing from other strings", () => {
    const auth = new StreamAuth({ bearer: ["admin-token-0123456789"], tokenTtlSeconds: 60, maxTokenTtlSeconds: 86_400, reconnectGraceSeconds: 3600 }, () => 1_764_000_000_000);
    const scoped = auth.issueToken("traces", ["domain=example.org&type=smtp.*"]);
    expect(tokenScope(scoped)).toEqual({ scope: ["domain=example.org&type=smtp.*"], issuedAtMs: 1_764_000_000_000 });
    // A share link's token also carries its life.
    expect(tokenScope(auth.issueToken("traces", ["domain=example.org"], 86_400))).toEqual({ scope: ["domain=example.org"], issuedAtMs: 1_764_000_000_000 });
    expect(tokenScope(auth.issueToken("traces", undefined, 600))).toBeUndefined();
    expect(scopeText(tokenScope(scoped)!.scope)).toBe("domain=example.org, type=smtp.*");
    expect(tokenScope(auth.issueToken("traces"))).toBeUndefined();
    for (const junk of ["", "abc", "a.b", "!!!.sig"]) expect(tokenScope(junk)).toBeUndefined();
  });

  it("adds up dropped frames with their id ranges, keeping a bounded list", () => {
    const log = new DroppedLog();
    expect(log.add({ count: 3, fromId: "1-1", toId: "1-3" })).toEqual({ count: 3, fromId: "1-1", toId: "1-3" });
    log.add({ count: 2 });
    log.add({ count: 5, fromId: "2-1", toId: "2-5" });
    expect(log.text).toBe("10 dropped (ids 1-1..2-5)");
    expect(log.details).toBe("3: 1-1..1-3\n2\n5: 2-1..2-5");
    expect(log.add("nonsense")).toBeUndefined();
    expect(log.add({ count: -1 })).toBeUndefined();
    for (let i = 0; i < 50; i++) log.add({ count: 1, fromId: `3-${i}`, toId: `3-${i}` });
    expect(log.ranges.length).toBe(MAX_DROPPED_RANGES);
    expect(log.text).toBe("60 dropped (ids 1-1..3-49)");
    log.clear();
    expect(log.text).toBe("0 dropped");
  });

  it("checks top frames", () => {
    expect(parseTopFrame('{"by":"remoteIp","window":60,"total":3,"exact":true,"top":[{"value":"192.0.2.1","count":2},{"value":7,"count":1}]}')).toEqual({
      by: "remoteIp",
      window: 60,
      total: 3,
      exact: true,
      top: [
        { value: "192.0.2.1", count: 2 },
        { value: "7", count: 1 },
      ],
    });
    expect(parseTopFrame('{"by":"x","top":[],"exact":false}')?.exact).toBe(false);
    for (const bad of ["", "[]", '{"top":[]}', '{"by":"x"}']) expect(parseTopFrame(bad)).toBeUndefined();
  });

  it("lays the pipeline out in columns by depth, one edge per input", () => {
    const c = (name: string, kind: string, inputs: string[] = []) => ({ name, kind, type: kind, inputs, eventsIn: 0, eventsOut: 0, dropped: 0 });
    const body = parsePipeline({
      components: [c("syslog", "source"), c("demo", "source"), c("no-debug", "operator", ["syslog", "demo"]), c("sample", "operator", ["no-debug"]), c("live", "sink", ["sample", "demo"]), c("file", "sink", ["no-debug", "ghost"]), "junk"],
      tappable: ["sources.syslog", 3],
    })!;
    expect(body.tappable).toEqual(["sources.syslog"]);
    const layout = layoutPipeline(body.components);
    expect(layout.columns.map((col) => col.map((x) => x.name))).toEqual([["syslog", "demo"], ["no-debug"], ["sample", "file"], ["live"]]);
    expect(layout.edges).toContainEqual({ from: "demo", to: "live" });
    expect(layout.edges).not.toContainEqual({ from: "ghost", to: "file" });
    expect(layout.edges.length).toBe(6);
    expect(parsePipeline({ nope: 1 })).toBeUndefined();
    // A malformed answer with a loop still lays out.
    expect(layoutPipeline([c("a", "operator", ["b"]), c("b", "operator", ["a"])]).columns.flat().length).toBe(2);
  });

  it("turns pipeline counters into rates between answers, none across a restart", () => {
    const rates = new PipelineRates();
    const at = (eventsIn: number, eventsOut: number) => [{ name: "demo", kind: "source", type: "demo", inputs: [], eventsIn, eventsOut, dropped: 0 }];
    expect(rates.update(at(100, 100), 0).get("demo")).toEqual({ inPerSecond: undefined, outPerSecond: undefined });
    expect(rates.update(at(300, 200), 2000).get("demo")).toEqual({ inPerSecond: 100, outPerSecond: 50 });
    expect(rates.update(at(10, 10), 4000).get("demo")).toEqual({ inPerSecond: undefined, outPerSecond: undefined });
  });
});
