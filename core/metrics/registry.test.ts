import { describe, expect, it } from "vitest";
import { MetricsRegistry, registerProcessMetrics } from "./registry.js";

describe("MetricsRegistry", () => {
  it("gets or creates by id and snapshots in the wire shape, sorted", () => {
    const m = new MetricsRegistry();
    m.counter("b.count").inc(3);
    m.counter("b.count").inc();
    m.gauge("a.gauge").set(7);
    const h = m.histogram("c.hist", "", [1, 10]);
    for (const v of [0.5, 5, 50]) h.observe(v);
    expect(m.snapshot()).toEqual([
      { id: "a.gauge", type: "gauge", value: 7 },
      { id: "b.count", type: "counter", value: 4 },
      { id: "c.hist", type: "histogram", count: 3, sum: 55.5 },
    ]);
    expect(h.bucketCounts).toEqual([1, 1, 1]);
    expect(m.snapshot((id) => id.startsWith("a."))).toHaveLength(1);
  });

  it("merges observations aggregated elsewhere into a histogram: by bucket on the same bounds, else into +Inf", () => {
    const h = new MetricsRegistry().histogram("c.hist", "", [1, 10]);
    h.observe(5);
    h.merge(4, 30, [1, 2, 1]);
    expect([h.count, h.sum, h.bucketCounts]).toEqual([5, 35, [1, 3, 1]]);
    h.merge(2, 7, [1, 1]); // counted against other bounds
    expect([h.count, h.sum, h.bucketCounts]).toEqual([7, 42, [1, 3, 3]]);
    h.merge(3, 9);
    h.merge(0, 0, [0, 0, 0]);
    h.merge(1, Number.NaN);
    expect([h.count, h.sum, h.bucketCounts]).toEqual([10, 51, [1, 3, 6]]);
  });

  it("refuses a type clash and an invalid id", () => {
    const m = new MetricsRegistry();
    m.counter("x.y");
    expect(() => m.gauge("x.y")).toThrow(/is a counter/);
    expect(() => m.counter("Bad Id")).toThrow(/lowercase/);
  });

  it("counts each event type under its own id, bounded", () => {
    const m = new MetricsRegistry(2);
    m.eventTypeCounter("smtp.rcpt-to").inc();
    m.eventTypeCounter("smtp.rcpt-to").inc();
    m.eventTypeCounter("auth.failed").inc();
    m.eventTypeCounter("third.type").inc();
    expect(m.counter("smtp.rcpt-to").value).toBe(2);
    expect(m.counter("events.other-types").value).toBe(1);
  });

  it("reads callback gauges at snapshot time", () => {
    const m = new MetricsRegistry();
    let now = 1000;
    registerProcessMetrics(m, () => now);
    now = 6000;
    const byId = Object.fromEntries(m.snapshot().map((s) => [s.id, s]));
    expect(byId["server.uptime"]).toEqual({ id: "server.uptime", type: "gauge", value: 5 });
    expect((byId["server.memory"] as { value: number }).value).toBeGreaterThan(1_000_000);
    expect(byId["events.received"]).toBeDefined();
    expect(byId["event.latency"]).toMatchObject({ type: "histogram" });
  });
});
