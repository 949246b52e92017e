import { describe, expect, it, vi } from "vitest";
import { EMPTY, interval, map, NEVER, range, Subject, take, throwError, timer } from "rxjs";
import { TestScheduler } from "rxjs/testing";
import pino from "pino";
import { z } from "zod";
import type { LiveEvent, Logger, Sink } from "../../../core/index.js";
import { createPlugin, MetricsRegistry } from "../../../core/testing.js";
import blackhole from "./index.js";
import { BlackholeOptions } from "./options.js";

const ev: LiveEvent = { id: "1-1", type: "demo.tick", createdAt: "2026-11-24T11:50:00.123Z", data: {} };

describe("blackhole sink", () => {
  it("counts every event in blackhole.events and resolves on complete", async () => {
    const metrics = new MetricsRegistry();
    const a = createPlugin(blackhole, {}, { metrics }).plugin as Sink;
    const b = createPlugin(blackhole, {}, { metrics }).plugin as Sink;
    await a.consume(range(0, 1_000_000).pipe(map(() => ev)));
    await b.consume(range(0, 5).pipe(map(() => ev)));
    expect(metrics.counter("blackhole.events").value).toBe(1_000_005);
  });

  it("logs a summary every logEverySeconds on the injected scheduler", () => {
    const ts = new TestScheduler((a, b) => expect(a).toEqual(b));
    const logger = pino({ level: "silent" }) as unknown as Logger;
    const info = vi.fn();
    vi.spyOn(logger, "child").mockReturnValue({ info, warn: vi.fn(), error: vi.fn() } as never);
    ts.run(({ flush }) => {
      const sink = createPlugin(blackhole, { logEverySeconds: 2 }, { scheduler: ts, logger }).plugin as Sink;
      // 10 events/s for 5 s, between the summaries' ticks.
      void sink.consume(timer(50, 100, ts).pipe(take(50), map(() => ev)));
      flush();
    });
    const summaries = info.mock.calls.filter(([, msg]) => msg === "blackhole summary").map(([fields]) => fields);
    expect(summaries).toEqual([
      { events: 20, perSecond: 10 },
      { events: 40, perSecond: 10 },
    ]);
    expect(info.mock.calls.at(-1)).toEqual([{ events: 50 }, "blackhole done"]);
    // The timer stopped with the input: nothing left on the virtual clock.
    expect(ts.actions).toHaveLength(0);
  });

  it("never logs by default", () => {
    const ts = new TestScheduler((a, b) => expect(a).toEqual(b));
    ts.run(({ flush }) => {
      const sink = createPlugin(blackhole, {}, { scheduler: ts }).plugin as Sink;
      void sink.consume(interval(100, ts).pipe(take(50), map(() => ev)));
      expect(ts.actions).toHaveLength(1); // only the input's own timer
      flush();
    });
  });

  it("stops twice and without start; stop() resolves an unfinished consume()", async () => {
    const idle = createPlugin(blackhole, {}).plugin as Sink;
    await idle.stop?.();
    await idle.stop?.();
    const s = createPlugin(blackhole, { logEverySeconds: 1 }).plugin as Sink;
    await s.start?.();
    const input = new Subject<LiveEvent>();
    const pending = s.consume(input);
    input.next(ev);
    await s.stop?.();
    await pending;
    expect(input.observed).toBe(false);
    await s.stop?.();
    const c = createPlugin(blackhole, {}).plugin as Sink;
    await c.consume(EMPTY);
    const n = createPlugin(blackhole, {}).plugin as Sink;
    const never = n.consume(NEVER);
    await n.stop?.();
    await never;
  });

  it("rejects when its input errors", async () => {
    const s = createPlugin(blackhole, {}).plugin as Sink;
    await expect(s.consume(throwError(() => new Error("upstream")))).rejects.toThrow("upstream");
  });

  it("describes its option", () => {
    for (const [key, schema] of Object.entries(BlackholeOptions.shape)) expect((schema as z.ZodType).description, key).toBeTruthy();
    expect(BlackholeOptions.parse({})).toEqual({ logEverySeconds: 0 });
    expect(BlackholeOptions.safeParse({ logEverySeconds: -1 }).success).toBe(false);
    expect(BlackholeOptions.safeParse({ logEvery: 1 }).success).toBe(false);
  });
});
