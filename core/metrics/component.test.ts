import { describe, expect, it } from "vitest";
import { componentMetrics, metricScope } from "./component.js";
import { MetricsRegistry } from "./registry.js";

describe("component metrics", () => {
  it("puts a component's own metrics under its config path", () => {
    const registry = new MetricsRegistry();
    const m = componentMetrics(registry, "operators.no-debug");
    m.own.counter("dropped").inc(2);
    m.own.gauge("keys").set(3);
    m.own.histogram("delay-ms", "", [1, 10]).observe(5);
    expect(registry.snapshot()).toEqual([
      { id: "operators.no-debug.delay-ms", type: "histogram", count: 1, sum: 5 },
      { id: "operators.no-debug.dropped", type: "counter", value: 2 },
      { id: "operators.no-debug.keys", type: "gauge", value: 3 },
    ]);
  });

  it("reaches the process-wide metrics by full id, shared by every component", () => {
    const registry = new MetricsRegistry();
    const a = componentMetrics(registry, "sources.a");
    const b = componentMetrics(registry, "sinks.b");
    a.counter("events.dropped").inc();
    b.counter("events.dropped").inc();
    expect(registry.counter("events.dropped").value).toBe(2);
    expect(b.snapshot((id) => id === "events.dropped")).toEqual([{ id: "events.dropped", type: "counter", value: 2 }]);
    expect(a.list().map((m) => m.info.id)).toEqual(["events.dropped"]);
  });

  it.each([
    ["operators.My_Filter", "operators.my-filter"],
    ["sources.1st", "sources.1st"],
    ["sinks.--live--", "sinks.live"],
  ])("names %s's metrics %s", (path, scope) => expect(metricScope(path)).toBe(scope));

  it("gives a name with no metric id of its own working metrics that are not exported", () => {
    const registry = new MetricsRegistry();
    const m = componentMetrics(registry, "operators.__");
    expect(metricScope("operators.__")).toBeUndefined();
    const own = m.own.counter("dropped");
    own.inc();
    expect(own.value).toBe(1);
    expect(registry.snapshot()).toEqual([]);
  });
});
