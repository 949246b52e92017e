import { describe, expect, it } from "vitest";
import { TestScheduler } from "rxjs/testing";
import { from } from "rxjs";
import { z } from "zod";
import { type LiveEvent, type MetricSample, type Operator, PluginProblems } from "../../../core/index.js";
import { createPlugin, MetricsRegistry } from "../../../core/testing.js";
import definition from "./index.js";
import { metricEvents, seriesName } from "./metric.js";
import { MetricOptions } from "./options.js";

const ev = (id: string, type: string, data: Record<string, unknown>): LiveEvent => ({ id, type, createdAt: "2026-11-24T11:50:00.123Z", data });

const EVENTS: LiveEvent[] = [
  ev("1", "smtp.mail-from", { domain: "example.org", size: 1200, level: "info" }),
  ev("2", "smtp.mail-from", { domain: "Example.NET", size: "3400", level: "info" }),
  ev("3", "auth.failed", { domain: "example.org", level: "warning" }),
  ev("4", "delivery.completed", { domain: "example.org", size: 1200, latencyMs: 12 }),
  ev("5", "auth.failed", { domain: "shop.test", level: "warning", size: "big" }),
  ev("6", "queue.stats", { queueSize: 17 }),
  ev("7", "queue.stats", { queueSize: "23" }),
  ev("8", "spam.classify", { domain: 42, flag: true, score: -1.5 }),
];

/** Runs the events through a metric operator on a fresh registry; the samples whose id starts with `prefix`. */
function samples(options: Record<string, unknown>, prefix: string, events = EVENTS): MetricSample[] {
  const metrics = new MetricsRegistry();
  from(events).pipe(metricEvents(MetricOptions.parse(options), metrics)).subscribe();
  return metrics.snapshot((id) => id.startsWith(prefix));
}

type Case = [name: string, options: Record<string, unknown>, expected: MetricSample[]];

const CASES: Case[] = [
  ["a counter per event", { counters: [{ id: "m.events" }] }, [{ id: "m.events", type: "counter", value: 8 }]],
  ["a counter of one event type", { counters: [{ id: "m.auth-failures", where: { type: "auth.failed" } }] }, [{ id: "m.auth-failures", type: "counter", value: 2 }]],
  ["a counter by condition list", { counters: [{ id: "m.warn-or-spam", where: [{ severityAtLeast: "warning" }, { type: "spam.*" }] }] }, [{ id: "m.warn-or-spam", type: "counter", value: 3 }]],
  [
    "counters by field value, values made id-safe",
    { counters: [{ id: "m.by-domain", field: "domain" }] },
    [
      { id: "m.by-domain.42", type: "counter", value: 1 },
      { id: "m.by-domain.example-net", type: "counter", value: 1 },
      { id: "m.by-domain.example-org", type: "counter", value: 3 },
      { id: "m.by-domain.other", type: "counter", value: 0 },
      { id: "m.by-domain.shop-test", type: "counter", value: 1 },
    ],
  ],
  [
    "counters by field value, bounded by maxSeries",
    { counters: [{ id: "m.by-domain", field: "domain", maxSeries: 2 }] },
    [
      { id: "m.by-domain.example-net", type: "counter", value: 1 },
      { id: "m.by-domain.example-org", type: "counter", value: 3 },
      { id: "m.by-domain.other", type: "counter", value: 2 },
    ],
  ],
  [
    "counters by event type",
    { counters: [{ id: "m.by-type", byType: true, where: { type: "smtp.*,auth.*" } }] },
    [
      { id: "m.by-type.auth.failed", type: "counter", value: 2 },
      { id: "m.by-type.other", type: "counter", value: 0 },
      { id: "m.by-type.smtp.mail-from", type: "counter", value: 2 },
    ],
  ],
  ["a histogram of a numeric field (numbers and numeric strings)", { histograms: [{ id: "m.size", field: "size" }] }, [{ id: "m.size", type: "histogram", count: 3, sum: 5800 }]],
  ["a histogram restricted to one type", { histograms: [{ id: "m.size", field: "size", where: { type: "smtp.mail-from" } }] }, [{ id: "m.size", type: "histogram", count: 2, sum: 4600 }]],
  ["a gauge from the latest value", { gauges: [{ id: "m.queue", field: "queueSize" }] }, [{ id: "m.queue", type: "gauge", value: 23 }]],
  ["a gauge from negative numbers", { gauges: [{ id: "m.score", field: "score" }] }, [{ id: "m.score", type: "gauge", value: -1.5 }]],
  ["a gauge untouched without a value", { gauges: [{ id: "m.none", field: "absent" }] }, [{ id: "m.none", type: "gauge", value: 0 }]],
];

describe("metric operator", () => {
  it.each(CASES)("%s", (_name, options, expected) => {
    expect(samples(options, "m.")).toEqual(expected);
  });

  it("puts histogram values into the given buckets", () => {
    const metrics = new MetricsRegistry();
    from(EVENTS).pipe(metricEvents(MetricOptions.parse({ histograms: [{ id: "m.size", field: "size", buckets: [1000, 2000] }] }), metrics)).subscribe();
    const h = metrics.list().find((m) => m.info.id === "m.size")!.metric as unknown as { bounds: number[]; bucketCounts: number[] };
    expect(h.bounds).toEqual([1000, 2000]);
    expect(h.bucketCounts).toEqual([0, 2, 1]);
  });

  it("passes events through unchanged: the same objects, not modified", () => {
    const input = EVENTS.map((e) => structuredClone(e));
    const out: LiveEvent[] = [];
    const o = MetricOptions.parse({ counters: [{ id: "m.c", field: "domain" }], histograms: [{ id: "m.h", field: "size" }], gauges: [{ id: "m.g", field: "queueSize" }] });
    from(input).pipe(metricEvents(o, new MetricsRegistry())).subscribe((e) => out.push(e));
    expect(out).toHaveLength(input.length);
    out.forEach((e, i) => expect(e).toBe(input[i]));
    expect(input).toEqual(EVENTS);
  });

  it("keeps the registry bounded under a flood of distinct values", () => {
    const flood = Array.from({ length: 20_000 }, (_, i) => ev(String(i), "x.y", { user: `user-${i}@example.org` }));
    const s = samples({ counters: [{ id: "m.by-user", field: "user", maxSeries: 50 }] }, "m.", flood);
    expect(s).toHaveLength(51);
    expect(s.find((x) => x.id === "m.by-user.other")).toEqual({ id: "m.by-user.other", type: "counter", value: 20_000 - 50 });
  });

  it("shares a metric two rules name, and reports clashes of types at the rule's path", () => {
    const metrics = new MetricsRegistry();
    metrics.gauge("taken.gauge");
    expect(() => metricEvents(MetricOptions.parse({ counters: [{ id: "ok.c" }, { id: "ok.c" }], histograms: [{ id: "taken.gauge", field: "size" }] }), metrics)).toThrow(PluginProblems);
    try {
      metricEvents(MetricOptions.parse({ histograms: [{ id: "taken.gauge", field: "size" }] }), metrics);
    } catch (err) {
      expect((err as PluginProblems).problems).toEqual([{ path: ["histograms", 0, "id"], message: expect.stringContaining("taken.gauge") }]);
    }
  });

  it("folds a value whose id is taken by another metric type into <id>.other", () => {
    const metrics = new MetricsRegistry();
    metrics.gauge("m.by-domain.example-org");
    from(EVENTS).pipe(metricEvents(MetricOptions.parse({ counters: [{ id: "m.by-domain", field: "domain" }] }), metrics)).subscribe();
    expect(metrics.counter("m.by-domain.other").value).toBe(3);
  });

  it("is built by core with the shared registry; a clash is a startup problem", () => {
    const metrics = new MetricsRegistry();
    const { plugin } = createPlugin(definition, { counters: [{ id: "auth.failures", where: { type: "auth.failed" } }] }, { metrics });
    from(EVENTS).pipe((plugin as Operator).operator()).subscribe();
    expect(metrics.counter("auth.failures").value).toBe(2);
    metrics.gauge("busy.id");
    expect(() => createPlugin(definition, { counters: [{ id: "busy.id" }] }, { metrics })).toThrow(PluginProblems);
  });

  it.each([
    ["example.org", "example-org"],
    ["192.0.2.7", "192-0-2-7"],
    ["Jane Doe <jane@Example.org>", "jane-doe-jane-example-org"],
    ["--", "empty"],
    ["", "empty"],
    ["Ünïcödé", "n-c-d"],
  ])("series name of %j is %j", (value, name) => {
    expect(seriesName(value)).toBe(name);
  });

  it("reads fields as field references: nested paths, and type as the event's own", () => {
    const events = [ev("1", "a.x", { req: { ms: 5 }, type: "inner" }), ev("2", "a.y", { req: { ms: 7 }, type: "inner" })];
    expect(samples({ histograms: [{ id: "m.ms", field: "req.ms" }] }, "m.", events)).toEqual([{ id: "m.ms", type: "histogram", count: 2, sum: 12 }]);
    expect(samples({ counters: [{ id: "m.t", field: "type" }] }, "m.t.a", events).map((x) => x.id)).toEqual(["m.t.a-x", "m.t.a-y"]);
    expect(samples({ counters: [{ id: "m.t", field: "data.type" }] }, "m.t.i", events)).toEqual([{ id: "m.t.inner", type: "counter", value: 2 }]);
  });

  it("keeps series ids within 200 characters", () => {
    const id = `m.${"x".repeat(140)}`;
    const s = samples({ counters: [{ id, field: "v" }] }, "m.", [ev("1", "x.y", { v: "y".repeat(500) })]);
    for (const x of s) expect(x.id.length).toBeLessThanOrEqual(200);
    expect(s).toHaveLength(2);
  });

  describe("as an RxJS operator (marbles)", () => {
    const ts = () => new TestScheduler((a, b) => expect(a).toEqual(b));
    const v = { a: EVENTS[0], b: EVENTS[2] };
    const o = MetricOptions.parse({ counters: [{ id: "m.c" }] });

    it("passes every event at once and completes with its input", () => {
      const metrics = new MetricsRegistry();
      ts().run(({ cold, expectObservable, expectSubscriptions }) => {
        const src = cold("a 3ms b|", v);
        expectObservable(src.pipe(metricEvents(o, metrics))).toBe("a 3ms b|", v);
        expectSubscriptions(src.subscriptions).toBe("^ 4ms !");
      });
      expect(metrics.counter("m.c").value).toBe(2);
    });

    it("empty stays empty, never stays silent, errors pass through", () => {
      ts().run(({ cold, expectObservable }) => {
        const metrics = new MetricsRegistry();
        expectObservable(cold<LiveEvent>("|").pipe(metricEvents(o, metrics))).toBe("|");
        expectObservable(cold<LiveEvent>("-").pipe(metricEvents(o, metrics))).toBe("-");
        expectObservable(cold("a #", v).pipe(metricEvents(o, metrics))).toBe("a #", v);
      });
    });

    it("unsubscribes from its input on teardown", () => {
      const metrics = new MetricsRegistry();
      ts().run(({ cold, expectObservable, expectSubscriptions }) => {
        const src = cold("a b a b", v);
        expectObservable(src.pipe(metricEvents(o, metrics)), "^ 1ms !").toBe("a b", v);
        expectSubscriptions(src.subscriptions).toBe("^ 1ms !");
      });
      expect(metrics.counter("m.c").value).toBe(2);
    });
  });
});

describe("metric options", () => {
  it("describes every option", () => {
    const json = z.toJSONSchema(MetricOptions, { io: "input" }) as { properties: Record<string, { description?: string }> };
    for (const [key, prop] of Object.entries(json.properties)) expect(prop.description, key).toBeTruthy();
  });

  it.each([
    ["no rule at all", {}],
    ["a metric id with capitals", { counters: [{ id: "Smtp.Size" }] }],
    ["a metric id with spaces", { counters: [{ id: "smtp size" }] }],
    ["field and byType together", { counters: [{ id: "a.b", field: "x", byType: true }] }],
    ["a histogram without field", { histograms: [{ id: "a.b" }] }],
    ["unsorted buckets", { histograms: [{ id: "a.b", field: "x", buckets: [10, 5] }] }],
    ["maxSeries 0", { counters: [{ id: "a.b", field: "x", maxSeries: 0 }] }],
    ["an unknown rule option", { gauges: [{ id: "a.b", field: "x", fields: "y" }] }],
    ["a too long id", { counters: [{ id: `a.${"b".repeat(160)}` }] }],
  ])("rejects %s", (_name, options) => {
    expect(MetricOptions.safeParse(options).success).toBe(false);
  });
});
