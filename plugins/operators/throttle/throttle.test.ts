import { describe, expect, it } from "vitest";
import { TestScheduler } from "rxjs/testing";
import { from, lastValueFrom, toArray } from "rxjs";
import { z } from "zod";
import type { LiveEvent, Operator } from "../../../core/index.js";
import { createPlugin, MetricsRegistry } from "../../../core/testing.js";
import definition from "./index.js";
import { ThrottleOptions } from "./options.js";
import { throttleEvents } from "./throttle.js";

const ev = (id: string, data: Record<string, unknown>): LiveEvent => ({ id, type: "smtp.connection-start", createdAt: "2026-11-24T11:50:00.123Z", data });
const newScheduler = () => new TestScheduler((a, b) => expect(a).toEqual(b));
const opts = (o: Record<string, unknown>): ThrottleOptions => ThrottleOptions.parse(o);

/** Letters are events: x* from key x, y* from key y, n* without the key. */
const V: Record<string, LiveEvent> = {
  a: ev("a", { ip: "x" }),
  b: ev("b", { ip: "x" }),
  c: ev("c", { ip: "x" }),
  d: ev("d", { ip: "x" }),
  p: ev("p", { ip: "y" }),
  q: ev("q", { ip: "y" }),
  r: ev("r", { ip: "y" }),
  s: ev("s", { ip: "z" }),
  m: ev("m", {}),
  n: ev("n", {}),
};

type Case = [name: string, options: Record<string, unknown>, input: string, expected: string];

const CASES: Case[] = [
  ["passes up to threshold, drops the excess", { threshold: 2 }, "a b c d", "a b - -"],
  ["refills a whole window later", { threshold: 2 }, "a b c 997ms a b c", "a b - 997ms a b -"],
  ["refills gradually (token bucket: 1 token per window/threshold)", { threshold: 2 }, "a b c 497ms d", "a b - 497ms d"],
  ["not before a token is earned", { threshold: 2 }, "a b c 496ms d", "a b - 496ms -"],
  ["a quiet key bursts at most threshold, never more", { threshold: 2 }, "a 5s b c d", "a 5s b c -"],
  ["windowSeconds scales the refill", { threshold: 1, windowSeconds: 0.1 }, "a b 98ms c d", "a - 98ms c -"],
  ["3 per second earns a token every 333.3 ms", { threshold: 3 }, "a b c 330ms d 1ms d", "a b c 330ms - 1ms d"],
  ["one budget for the stream without key", { threshold: 2 }, "a p s m", "a p - -"],
  ["one budget per key value", { threshold: 2, key: "ip" }, "a p b q c r s", "a p b q - - s"],
  ["events without the key share one budget", { threshold: 1, key: "ip" }, "m n a", "m - a"],
  ["large thresholds", { threshold: 1000, windowSeconds: 60 }, "a b c d", "a b c d"],
];

describe("throttle operator", () => {
  it.each(CASES)("%s", (_name, options, input, expected) => {
    const ts = newScheduler();
    ts.run(({ cold, expectObservable }) => {
      expectObservable(cold(input, V).pipe(throttleEvents(opts(options), ts))).toBe(expected, V);
    });
  });

  it("forgets the least recently seen key past maxKeys (LRU, not first-in)", () => {
    const ts = newScheduler();
    ts.run(({ cold, expectObservable }) => {
      // x and y spend their budget; x is seen again (dropped), so y is the least recently seen
      // and z evicts y, not x (first in): x is still out of budget. y then comes back as new.
      expectObservable(cold("a p b s c q", V).pipe(throttleEvents(opts({ threshold: 1, key: "ip", maxKeys: 2 }), ts))).toBe("a p - s - q", V);
    });
  });

  it("reads its key as a field reference: type is the event's type, dots descend, data. reaches a data key named type", () => {
    const T: Record<string, LiveEvent> = {
      a: { ...ev("a", { type: "same", user: { id: "1" } }), type: "smtp.a" },
      b: { ...ev("b", { type: "same", user: { id: "2" } }), type: "smtp.b" },
      c: { ...ev("c", { type: "same", user: { id: "1" } }), type: "smtp.a" },
    };
    const run = (key: string, expected: string) => {
      const ts = newScheduler();
      ts.run(({ cold, expectObservable }) => {
        expectObservable(cold("a b c", T).pipe(throttleEvents(opts({ threshold: 1, key }), ts))).toBe(expected, T);
      });
    };
    run("type", "a b -");
    run("data.type", "a - -");
    run("user.id", "a b -");
  });

  it("keeps its key state bounded by maxKeys under a flood of distinct keys", async () => {
    const sizes: number[] = [];
    const events = Array.from({ length: 50_000 }, (_, i) => ev(String(i), { ip: `10.0.${i >> 8}.${i & 255}` }));
    const ts = newScheduler();
    const out = await lastValueFrom(from(events).pipe(throttleEvents(opts({ threshold: 1, key: "ip", maxKeys: 100 }), ts, { keys: (n) => sizes.push(n) }), toArray()));
    expect(out).toHaveLength(50_000); // every key is new, so each has a full budget
    expect(Math.max(...sizes)).toBe(100);
    expect(sizes.at(-1)).toBe(0); // released on completion
  });

  it("counts drops in events.dropped, throttle.dropped and operators.<name>.dropped, and tracks keys in a gauge", () => {
    const metrics = new MetricsRegistry();
    const ts = newScheduler();
    const { plugin } = createPlugin(definition, { threshold: 1, key: "ip", maxKeys: 5 }, { metrics, scheduler: ts });
    const fn = (plugin as Operator).operator();
    ts.run(({ cold, expectObservable }) => {
      expectObservable(cold("a b p q c s 5s d", V).pipe(fn), "^ 10s !").toBe("a - p - - s 5s d", V);
    });
    for (const id of ["events.dropped", "throttle.dropped", "operators.throttle.dropped"]) expect(metrics.counter(id).value, id).toBe(3);
    expect(metrics.snapshot((id) => id === "operators.throttle.keys")).toEqual([{ id: "operators.throttle.keys", type: "gauge", value: 0 }]);
  });

  it("passes the very same event objects", () => {
    const out: LiveEvent[] = [];
    from([V.a]).pipe(throttleEvents(opts({ threshold: 1 }), newScheduler())).subscribe((e) => out.push(e));
    expect(out[0]).toBe(V.a);
  });

  describe("as an RxJS operator (marbles)", () => {
    const o = opts({ threshold: 1, key: "ip" });

    it("completes with its input, unsubscribing from it", () => {
      const ts = newScheduler();
      ts.run(({ cold, expectObservable, expectSubscriptions }) => {
        const src = cold("a b p|", V);
        expectObservable(src.pipe(throttleEvents(o, ts))).toBe("a - p|", V);
        expectSubscriptions(src.subscriptions).toBe("^ 2ms !");
      });
    });

    it("empty stays empty, never stays silent", () => {
      const ts = newScheduler();
      ts.run(({ cold, expectObservable }) => {
        expectObservable(cold<LiveEvent>("|").pipe(throttleEvents(o, ts))).toBe("|");
        expectObservable(cold<LiveEvent>("-").pipe(throttleEvents(o, ts))).toBe("-");
      });
    });

    it("passes errors through", () => {
      const ts = newScheduler();
      ts.run(({ cold, expectObservable }) => expectObservable(cold("a b #", V).pipe(throttleEvents(o, ts))).toBe("a - #", V));
    });

    it("unsubscribes from its input on teardown", () => {
      const ts = newScheduler();
      ts.run(({ cold, expectObservable, expectSubscriptions }) => {
        const src = cold("a p b q 1s c", V);
        expectObservable(src.pipe(throttleEvents(o, ts)), "^ 3ms !").toBe("a p - -", V);
        expectSubscriptions(src.subscriptions).toBe("^ 3ms !");
      });
    });

    it("starts each subscription with fresh budgets", () => {
      const ts = newScheduler();
      ts.run(({ cold, expectObservable }) => {
        const op = throttleEvents(o, ts);
        expectObservable(cold("a b", V).pipe(op)).toBe("a -", V);
        expectObservable(cold("a b", V).pipe(op)).toBe("a -", V);
      });
    });
  });
});

describe("throttle options", () => {
  it("describes every option", () => {
    const json = z.toJSONSchema(ThrottleOptions, { io: "input" }) as { properties: Record<string, { description?: string }> };
    for (const [key, prop] of Object.entries(json.properties)) expect(prop.description, key).toBeTruthy();
  });

  it("requires a threshold and defaults the rest", () => {
    expect(ThrottleOptions.parse({ threshold: 5 })).toEqual({ threshold: 5, windowSeconds: 1, maxKeys: 10_000 });
    expect(ThrottleOptions.safeParse({}).success).toBe(false);
    expect(ThrottleOptions.safeParse({ threshold: 0 }).success).toBe(false);
    expect(ThrottleOptions.safeParse({ threshold: 1.5 }).success).toBe(false);
    expect(ThrottleOptions.safeParse({ threshold: 1, windowSeconds: 0 }).success).toBe(false);
    expect(ThrottleOptions.safeParse({ threshold: 1, maxKeys: 0 }).success).toBe(false);
    expect(ThrottleOptions.safeParse({ threshold: 1, maxKeys: 2_000_000 }).success).toBe(false);
    expect(ThrottleOptions.safeParse({ threshold: 1, windowMs: 5 }).success).toBe(false);
  });
});
