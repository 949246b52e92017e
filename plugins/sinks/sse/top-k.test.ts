import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { SlidingTopK, windowSlots } from "./top-k.js";

describe("SlidingTopK", () => {
  it("counts exactly below maxKeys and ranks by count, ties by value", () => {
    const t = new SlidingTopK(100, 1000, 60);
    for (const v of ["b", "a", "c", "c", "a", "c"]) t.add(v, 0);
    expect(t.top(10, 0)).toEqual([
      { value: "c", count: 3 },
      { value: "a", count: 2 },
      { value: "b", count: 1 },
    ]);
    expect([t.total, t.exact]).toEqual([6, true]);
  });

  it("forgets what fell out of the window, slot by slot", () => {
    const t = new SlidingTopK(100, 1000, 3); // a 3 s window of 1 s slots
    t.add("a", 0);
    t.add("b", 1500);
    t.add("b", 2500);
    expect(t.top(10, 2999)).toEqual([
      { value: "b", count: 2 },
      { value: "a", count: 1 },
    ]);
    expect(t.top(10, 3000)).toEqual([{ value: "b", count: 2 }]); // slot 0 left the window
    expect(t.top(10, 4000)).toEqual([{ value: "b", count: 1 }]);
    expect(t.top(10, 60_000)).toEqual([]);
    expect([t.total, t.size]).toEqual([0, 0]);
  });

  it("above maxKeys: bounded state, heavy hitters kept (Space-Saving), flagged inexact for a window", () => {
    const t = new SlidingTopK(50, 1000, 10);
    for (let i = 0; i < 20_000; i++) {
      t.add(`noise-${i}`, 0);
      if (i % 10 === 0) t.add("heavy", 0);
      if (i % 20 === 0) t.add("second", 0);
    }
    expect(t.size).toBeLessThanOrEqual(50);
    const top = t.top(2, 0);
    expect(top.map((x) => x.value)).toEqual(["heavy", "second"]);
    // Space-Saving overestimates by at most total/maxKeys.
    expect(top[0].count).toBeGreaterThanOrEqual(2000);
    expect(top[0].count).toBeLessThanOrEqual(2000 + t.total / 50);
    expect(t.exact).toBe(false);
    t.add("later", 10_000); // a whole window without eviction
    expect(t.exact).toBe(true);
  });

  it("any sequence: the sum of counts is the window total while exact, and state stays within maxKeys", () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 30 }), fc.integer({ min: 0, max: 50 })), { maxLength: 300 }), (steps) => {
        const t = new SlidingTopK(8, 1000, 5);
        let now = 0;
        for (const [v, dt] of steps) {
          now += dt * 20;
          t.add(`v${v}`, now);
          expect(t.size).toBeLessThanOrEqual(8);
        }
        const top = t.top(100, now);
        const sum = top.reduce((n, x) => n + x.count, 0);
        if (t.exact) expect(sum).toBe(t.total);
        else expect(sum).toBeGreaterThanOrEqual(0);
      }),
    );
  });

  it("slots: one per second up to a minute, then 60 longer ones", () => {
    expect(windowSlots(60)).toEqual({ slotMs: 1000, slots: 60 });
    expect(windowSlots(5)).toEqual({ slotMs: 1000, slots: 5 });
    expect(windowSlots(3600)).toEqual({ slotMs: 60_000, slots: 60 });
  });
});
