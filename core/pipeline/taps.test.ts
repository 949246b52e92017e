import { describe, expect, it } from "vitest";
import type { ComponentConfig } from "../config/model.js";
import type { LiveEvent } from "../event.js";
import { PipelineTaps } from "./taps.js";

const component = (kind: ComponentConfig["kind"], name: string, inputs: string[] = []): ComponentConfig =>
  ({ kind, name, path: `${kind === "source" ? "sources" : kind === "operator" ? "operators" : "sinks"}.${name}`, type: "t", inputs, options: {} }) as ComponentConfig;
const ev = (id: string): LiveEvent => ({ id, type: "a.b", createdAt: "2026-11-24T11:50:00.123Z", data: {} });

function setup() {
  const taps = new PipelineTaps();
  const components = [component("source", "in"), component("operator", "keep", ["in"]), component("operator", "dangling", ["in"]), component("sink", "out", ["keep"])];
  const ledger = { eventsIn: 5, eventsOut: 3, dropped: 2 };
  const threw: string[] = [];
  taps.describe(components, new Set(["in", "keep", "out"]), {
    counts: (c) => (c.path === "operators.keep" ? ledger : { eventsIn: 0, eventsOut: 0, dropped: 0 }),
    threw: (path, err) => threw.push(`${path}: ${(err as Error).message}`),
  });
  return { taps, threw };
}

describe("PipelineTaps (TAPS and PIPELINE)", () => {
  it("lists the wired sources and operators; resolves paths and bare names", () => {
    const { taps } = setup();
    expect(taps.names()).toEqual(["sources.in", "operators.keep"]);
    expect([taps.resolve("operators.keep"), taps.resolve("keep"), taps.resolve("in"), taps.resolve("out"), taps.resolve("dangling"), taps.resolve("nope")]).toEqual([
      "operators.keep",
      "operators.keep",
      "sources.in",
      undefined,
      undefined,
      undefined,
    ]);
    expect(() => taps.tap("sinks.out")).toThrow(/no tappable component/);
  });

  it("feeds a tap only while it is observed, and counts nothing itself", () => {
    const { taps } = setup();
    const seen: string[] = [];
    const feed = taps.feed("sources.in");
    feed.emit(ev("1"));
    const sub = taps.tap("sources.in").subscribe((e) => seen.push(e.id));
    feed.emit(ev("2"));
    sub.unsubscribe();
    feed.emit(ev("3"));
    expect(seen).toEqual(["2"]);
    expect(taps.components()[0]).toMatchObject({ name: "in", kind: "source", eventsIn: 0, eventsOut: 0, dropped: 0 });
  });

  it("cuts off a tap subscriber that throws and tells the pipeline; the other taps go on", () => {
    const { taps, threw } = setup();
    const seen: string[] = [];
    const bad = taps.tap("sources.in").subscribe(() => {
      throw new Error("bug");
    });
    taps.tap("sources.in").subscribe((e) => seen.push(e.id));
    taps.feed("sources.in").emit(ev("1"));
    taps.feed("sources.in").emit(ev("2"));
    expect(bad.closed).toBe(true);
    expect(seen).toEqual(["1", "2"]);
    expect(threw).toEqual(["sources.in: bug"]);
  });

  it("takes the counters it is given (an operator's from its delivery ledger)", () => {
    const { taps } = setup();
    expect(taps.components().map(({ name, eventsIn, eventsOut, dropped }) => [name, eventsIn, eventsOut, dropped])).toEqual([
      ["in", 0, 0, 0],
      ["keep", 5, 3, 2],
      ["dangling", 0, 0, 0],
      ["out", 0, 0, 0],
    ]);
  });
});
