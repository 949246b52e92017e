import { describe, expect, it } from "vitest";
import { PluginRegistry } from "../registry.js";
import { sortByConfigOrder } from "./config-order.js";
import { ConfigError, loadConfigObject } from "./index.js";
import { testPlugins } from "./test-plugins.js";

const unknownKeys = (n: number): Record<string, unknown> => {
  const doc: Record<string, unknown> = {};
  for (let i = 0; i < n; i++) doc[`k${i}`] = i;
  return doc;
};

describe("sortByConfigOrder", () => {
  it("lists problems in file order", () => {
    const doc = { b: { y: 1, x: 2 }, a: [0, 1] };
    const sorted = sortByConfigOrder(
      [{ path: ["a", 1], message: "" }, { path: ["b", "x"], message: "" }, { path: ["a", 0], message: "" }, { path: ["b"], message: "" }, { path: ["b", "y"], message: "" }],
      doc,
    );
    expect(sorted.map((p) => p.path)).toEqual([["b"], ["b", "y"], ["b", "x"], ["a", 0], ["a", 1]]);
  });

  it("reads each object's keys once, however many problems it holds", () => {
    // A Proxy counts the key listings: ranking with indexOf listed them twice per comparison.
    let listings = 0;
    const doc = new Proxy(unknownKeys(20_000), {
      ownKeys: (target) => {
        listings++;
        return Reflect.ownKeys(target);
      },
    });
    const problems = Object.keys(unknownKeys(20_000)).reverse().map((k) => ({ path: [k], message: "unknown key" }));
    listings = 0;
    const sorted = sortByConfigOrder(problems, doc);
    expect(sorted[0].path).toEqual(["k0"]);
    expect(sorted.at(-1)!.path).toEqual(["k19999"]);
    expect(listings).toBe(1);
  });

  it("validates a config with 20,000 unknown top-level keys, each reported in order", async () => {
    const doc = { ...unknownKeys(20_000), sources: { t: { type: "tick" } }, sinks: { c: { type: "console", inputs: ["t"] } } };
    const err = await loadConfigObject(doc, new PluginRegistry().register(...testPlugins), { baseDir: "/" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    const problems = (err as ConfigError).problems;
    expect(problems).toHaveLength(20_000);
    expect(problems[0].path).toEqual(["k0"]);
    expect(problems[19_999].path).toEqual(["k19999"]);
  });
});
