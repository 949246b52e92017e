import { describe, expect, it } from "vitest";
import { TestScheduler } from "rxjs/testing";
import { Observable, takeUntil, timer, type SchedulerLike } from "rxjs";
import { z } from "zod";
import type { LiveEventInput, Source } from "../../../core/index.js";
import { isEventType } from "../../../core/kit.js";
import { createPlugin, DeliveryHub, MetricsRegistry } from "../../../core/testing.js";
import demo from "./index.js";
import { DemoOptions } from "./options.js";
import { demoEvents } from "./demo.js";
import pino from "pino";

const newScheduler = (): TestScheduler => new TestScheduler((a, b) => expect(a).toEqual(b));

/** Runs `source` on virtual time for `ms` (or until it completes) and returns what it emitted. */
function collect(ts: TestScheduler, source: () => Observable<LiveEventInput>, ms = Number.POSITIVE_INFINITY) {
  const out: { at: number; event: LiveEventInput }[] = [];
  let completed = false;
  ts.run(({ flush }) => {
    const src = Number.isFinite(ms) ? source().pipe(takeUntil(timer(ms, ts))) : source();
    src.subscribe({ next: (event) => out.push({ at: ts.now(), event }), complete: () => (completed = true) });
    flush();
  });
  return { out, events: out.map((o) => o.event), completed };
}

const options = (o: Record<string, unknown>): DemoOptions => DemoOptions.parse(o);

describe("demo source at maxPendingEvents", () => {
  it("skips what falls due while its events are not settled, and goes on once they are", () => {
    const ts = newScheduler();
    const hub = new DeliveryHub({ metrics: new MetricsRegistry(), scheduler: ts, logger: pino({ level: "silent" }), defaultFanout: 1 });
    const delivery = hub.forComponent("sources.demo", "source", { maxPendingEvents: 3 });
    const got: LiveEventInput[] = [];
    ts.run(({ flush }) => {
      const sub = demoEvents(DemoOptions.parse({ rate: 10, seed: 1 }), ts, delivery).subscribe((e) => got.push(e));
      ts.schedule(() => {
        expect(got).toHaveLength(3);
        for (const e of got) hub.release(e as never);
      }, 1000);
      ts.schedule(() => {
        sub.unsubscribe();
        // Settle the rest, so core's ack-timeout sweep has nothing left to watch and stops.
        for (const e of got.slice(3)) hub.release(e as never);
      }, 1250);
      flush();
    });
    // 3 in the first 300 ms, nothing while full (400-900 ms skipped), then 1.0, 1.1 and 1.2 s.
    expect(got).toHaveLength(6);
  });
});

describe("demo source", () => {
  it("is built by core with its options and the injected scheduler", () => {
    const ts = newScheduler();
    const { plugin } = createPlugin(demo, { rate: 10, seed: 1, count: 3 }, { scheduler: ts });
    const { events, completed } = collect(ts, () => (plugin as Source).events());
    expect(events).toHaveLength(3);
    expect(completed).toBe(true);
  });

  it("gives the same sequence for the same seed", () => {
    const run = (seed: number) => {
      const ts = newScheduler();
      return collect(ts, () => demoEvents(options({ rate: 50, seed, count: 300 }), ts)).events;
    };
    expect(run(42)).toHaveLength(300);
    expect(run(42)).toEqual(run(42));
    expect(run(42)).not.toEqual(run(43));
  });

  it("keeps the content of a seeded sequence independent of the rate", () => {
    const run = (rate: number) => {
      const ts = newScheduler();
      return collect(ts, () => demoEvents(options({ rate, seed: 7, count: 200 }), ts)).events.map((e) => ({ ...e, createdAt: undefined }));
    };
    expect(run(5)).toEqual(run(5000));
  });

  it("emits `rate` events per second, evenly spaced", () => {
    const ts = newScheduler();
    const { out } = collect(ts, () => demoEvents(options({ rate: 10, seed: 1 }), ts), 1000.5);
    expect(out.map((o) => o.at)).toEqual([100, 200, 300, 400, 500, 600, 700, 800, 900, 1000]);
  });

  it("runs on the real clock", async () => {
    const { plugin } = createPlugin(demo, { rate: 2000, seed: 1, count: 200 });
    const started = performance.now();
    const events = await new Promise<LiveEventInput[]>((resolve, reject) => {
      const got: LiveEventInput[] = [];
      (plugin as Source).events().subscribe({ next: (e) => got.push(e), error: reject, complete: () => resolve(got) });
    });
    expect(events).toHaveLength(200);
    expect(performance.now() - started).toBeGreaterThanOrEqual(90);
  });

  it.each([
    [0.5, 10_000, 5],
    [3, 1_000, 3],
    [5, 60_000, 300],
    [250, 2_000, 500],
  ])("holds rate %s/s over %s ms (%s events)", (rate, ms, expected) => {
    const ts = newScheduler();
    const { events } = collect(ts, () => demoEvents(options({ rate, seed: 2 }), ts), ms + 0.5);
    expect(events).toHaveLength(expected);
  });

  it("batches high rates instead of one timer per event", () => {
    const ts = newScheduler();
    const { out } = collect(ts, () => demoEvents(options({ rate: 100_000, seed: 3 }), ts), 1000.5);
    expect(out).toHaveLength(100_000);
    const ticks = new Set(out.map((o) => o.at));
    expect(ticks.size).toBeLessThanOrEqual(1000);
    expect(out.length / ticks.size).toBeGreaterThanOrEqual(50);
  });

  it("completes after `count` events", () => {
    const ts = newScheduler();
    ts.run(({ expectObservable }) => {
      const times = new Observable<number>((s) =>
        demoEvents(options({ rate: 10, seed: 5, count: 3 }), ts).subscribe({
          next: (e) => s.next(Date.parse(e.createdAt!)),
          complete: () => s.complete(),
        }),
      );
      expectObservable(times).toBe("100ms a 99ms b 99ms (c|)", { a: 100, b: 200, c: 300 });
    });
  });

  it("stops its timer when unsubscribed", () => {
    const ts = newScheduler();
    ts.run(({ cold, expectObservable, expectSubscriptions }) => {
      const stop = cold("250ms x");
      expectObservable(demoEvents(options({ rate: 10, seed: 5 }), ts).pipe(takeUntil(stop)), "^ 1s !").toBe("100ms a 99ms b 49ms |", {
        a: expect.anything(),
        b: expect.anything(),
      });
      expectSubscriptions(stop.subscriptions).toBe("^ 249ms !");
    });
    // No timer left behind: the virtual queue is empty.
    expect(ts.actions).toHaveLength(0);
  });

  it("skips a stall's backlog instead of bursting it", () => {
    const ts = newScheduler();
    let offset = 0;
    const jumpy: SchedulerLike = { now: () => ts.now() + offset, schedule: ts.schedule.bind(ts) } as SchedulerLike;
    const { out } = collect(ts, () => {
      ts.schedule(() => (offset = 10_000), 500);
      return demoEvents(options({ rate: 100, seed: 9 }), jumpy);
    }, 1000.5);
    const perTick = new Map<number, number>();
    for (const o of out) perTick.set(o.at, (perTick.get(o.at) ?? 0) + 1);
    // 100 ms of catch-up at most: 10 events at 100/s; the other ~990 due after the jump are skipped.
    expect(Math.max(...perTick.values())).toBe(10);
    expect(out.length).toBeGreaterThanOrEqual(105);
    expect(out.length).toBeLessThanOrEqual(111);
  });

  it("stamps createdAt from the scheduler clock and emits valid Stalwart-style events", () => {
    const ts = newScheduler();
    const { out } = collect(ts, () => demoEvents(options({ rate: 1000, seed: 11, count: 5000 }), ts));
    expect(out).toHaveLength(5000);
    const types = new Set<string>();
    for (const { at, event } of out) {
      expect(isEventType(event.type)).toBe(true);
      expect(event.createdAt).toBe(new Date(at).toISOString());
      expect(typeof event.text).toBe("string");
      expect(event.text!.length).toBeGreaterThan(0);
      expect(["info", "warning", "error"]).toContain(event.data.level);
      for (const key of Object.keys(event.data)) expect(key).toMatch(/^[a-z][a-zA-Z0-9]*$/);
      types.add(event.type);
    }
    for (const t of [
      "smtp.connection-start",
      "smtp.connection-end",
      "auth.success",
      "auth.failed",
      "smtp.mail-from",
      "smtp.rcpt-to",
      "queue.message-queued",
      "delivery.completed",
      "delivery.failed",
      "imap.login",
      "spam.classify",
      "tls.handshake-failed",
      "security.brute-force-ban",
    ]) {
      expect(types, t).toContain(t);
    }
  });
});

describe("demo options", () => {
  it("describes every option", () => {
    for (const [key, schema] of Object.entries(DemoOptions.shape)) {
      expect((schema as z.ZodType).description, key).toBeTruthy();
    }
  });

  it("defaults to 5 events/s and caps the rate", () => {
    expect(DemoOptions.parse({})).toEqual({ rate: 5, maxPendingEvents: 10_000, ackTimeoutMs: 10_000 });
    expect(DemoOptions.safeParse({ rate: 100_001 }).success).toBe(false);
    expect(DemoOptions.safeParse({ rate: 0 }).success).toBe(false);
    expect(DemoOptions.safeParse({ seed: 1.5 }).success).toBe(false);
    expect(DemoOptions.safeParse({ count: 0 }).success).toBe(false);
    expect(DemoOptions.safeParse({ rats: 5 }).success).toBe(false);
  });

  it("runs unseeded (seeded from the clock)", () => {
    const ts = newScheduler();
    const { events } = collect(ts, () => demoEvents(options({ count: 20 }), ts));
    expect(events).toHaveLength(20);
  });
});
