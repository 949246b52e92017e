import { describe, expect, it } from "vitest";
import { from, lastValueFrom, toArray } from "rxjs";
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
  taps.describe(components, new Set(["in", "keep", "out"]), (c) => (c.path === "operators.keep" ? ledger : { dropped: 0 }));
  return { taps };
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

  it("feeds a tap only while it is observed, and counts every event passing the point", async () => {
    const { taps } = setup();
    const seen: string[] = [];
    await lastValueFrom(from([ev("1"), ev("2")]).pipe(taps.point("sources.in"), toArray()));
    const sub = taps.tap("sources.in").subscribe((e) => seen.push(e.id));
    await lastValueFrom(from([ev("3")]).pipe(taps.point("sources.in"), toArray()));
    sub.unsubscribe();
    await lastValueFrom(from([ev("4")]).pipe(taps.point("sources.in"), toArray()));
    expect(seen).toEqual(["3"]);
    expect(taps.components()[0]).toMatchObject({ name: "in", kind: "source", eventsIn: 4, eventsOut: 4, dropped: 0 });
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
