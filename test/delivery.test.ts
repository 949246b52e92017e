import "reflect-metadata";
import { describe, expect, it } from "vitest";
import { Observable, Subject, VirtualTimeScheduler, filter, type OperatorFunction } from "rxjs";
import { z } from "zod";
import pino from "pino";
import { Writable } from "node:stream";
import {
  DELIVERY,
  DeliveryOptionsShape,
  defineOperator,
  defineSink,
  defineSource,
  inject,
  injectable,
  type Delivery,
  type LiveEvent,
  type LiveEventInput,
  type Operator,
  type PluginDefinition,
  type Settlement,
  type Sink,
  type Source,
} from "../core/index.js";
import { MetricsRegistry } from "../core/testing.js";
import type { ComponentConfig, PipelineConfig } from "../core/config/model.js";
import { HttpServerPool } from "../core/http/pool.js";
import { Pipeline } from "../core/pipeline/pipeline.js";
import { PipelineTaps } from "../core/pipeline/taps.js";
import filterPlugin from "../plugins/operators/filter/index.js";
import samplePlugin from "../plugins/operators/sample/index.js";

/** A source whose batches a test pushes; it tracks each batch and records how it settled. */
class Feed {
  readonly subject = new Subject<LiveEventInput>();
  readonly settled: Settlement[] = [];
  delivery!: Delivery;
  push(batch: LiveEventInput[]): void {
    for (const e of this.delivery.track(batch, (s) => this.settled.push(s))) this.subject.next(e);
  }
}

const SourceOptions = z.strictObject({ ...DeliveryOptionsShape });
function feedSource(feed: Feed): PluginDefinition<"source"> {
  @injectable()
  class FeedSource implements Source {
    constructor(@inject(DELIVERY) delivery: Delivery) {
      feed.delivery = delivery;
    }
    events(): Observable<LiveEventInput> {
      return feed.subject;
    }
  }
  return defineSource({ type: "feed", description: "test feed", options: SourceOptions, plugin: FeedSource });
}

/** A sink that confirms (or fails) only when the test says so. */
class Held {
  readonly events: LiveEvent[] = [];
  delivery!: Delivery;
  confirmAll(): void {
    this.delivery.confirmAll(this.events.splice(0));
  }
}
function heldSink(store: Held): PluginDefinition<"sink"> {
  @injectable()
  class HeldSink implements Sink {
    readonly acknowledges = true;
    constructor(@inject(DELIVERY) delivery: Delivery) {
      store.delivery = delivery;
    }
    consume(events: Observable<LiveEvent>): Promise<void> {
      return new Promise((resolve) => events.subscribe({ next: (e) => store.events.push(e), complete: resolve }));
    }
  }
  return defineSink({ type: "held", description: "confirms on demand", options: z.strictObject({}), plugin: HeldSink });
}

/** A sink that knows nothing of acknowledgements: core confirms on hand-off. */
const plainSink = defineSink({
  type: "plain",
  description: "plain",
  options: z.strictObject({}),
  plugin: class implements Sink {
    consume(events: Observable<LiveEvent>): Promise<void> {
      return new Promise((resolve) => events.subscribe({ complete: resolve }));
    }
  },
});

/** A user's operator that drops odd events without telling core (the documented mistake). */
const swallowOdd = defineOperator({
  type: "swallow-odd",
  description: "drops odd n silently",
  options: z.strictObject({}),
  plugin: class implements Operator {
    operator(): OperatorFunction<LiveEvent, LiveEvent> {
      return filter((e) => (e.data.n as number) % 2 === 0);
    }
  },
});

const throwOnThree = defineOperator({
  type: "throw-on-three",
  description: "throws on n = 3",
  options: z.strictObject({}),
  plugin: class implements Operator {
    operator(): OperatorFunction<LiveEvent, LiveEvent> {
      return (input) =>
        new Observable<LiveEvent>((sub) =>
          input.subscribe({
            next: (e) => {
              if (e.data.n === 3) sub.error(new Error("three"));
              else sub.next(e);
            },
            complete: () => sub.complete(),
          }),
        );
    }
  },
});

function component(kind: ComponentConfig["kind"], name: string, definition: PluginDefinition, inputs: string[] = [], options: unknown = {}): ComponentConfig {
  const folder = kind === "source" ? "sources" : kind === "operator" ? "operators" : "sinks";
  const parsed = (definition.options as z.ZodType).parse(options);
  return { kind, name, path: `${folder}.${name}`, type: definition.type, inputs, options: parsed, definition };
}

interface Run {
  pipeline: Pipeline;
  /** Its TAPS and PIPELINE services (outputs-of, /api/pipeline). */
  taps: PipelineTaps;
  clock: VirtualTimeScheduler;
  metrics: MetricsRegistry;
  warnings: string[];
  errors: string[];
  /** Advances the virtual clock to `ms` after start, running due timers. */
  advanceTo(ms: number): void;
}

async function run(components: ComponentConfig[]): Promise<Run> {
  const clock = new VirtualTimeScheduler();
  const metrics = new MetricsRegistry();
  const warnings: string[] = [];
  const errors: string[] = [];
  const logger = pino(
    { level: "warn" },
    new Writable({
      write(chunk, _enc, done) {
        const line = JSON.parse(String(chunk)) as { level: number; msg: string };
        (line.level >= 50 ? errors : warnings).push(line.msg);
        done();
      },
    }),
  );
  const config: PipelineConfig = { dataDir: "/tmp/livetap-delivery-test", components, warnings: [] };
  const taps = new PipelineTaps();
  const pipeline = new Pipeline(config, { logger, metrics, scheduler: clock, http: new HttpServerPool(logger), dataDir: config.dataDir, taps });
  await pipeline.start();
  await new Promise((resolve) => setImmediate(resolve));
  return {
    pipeline,
    taps,
    clock,
    metrics,
    warnings,
    errors,
    advanceTo(ms) {
      clock.maxFrames = ms;
      clock.flush();
    },
  };
}

const ev = (n: number, extra: Record<string, unknown> = {}): LiveEventInput => ({ type: "test.event", data: { n, ...extra } });
const flushLogs = () => new Promise((resolve) => setImmediate(resolve));

describe("delivery acknowledgements", () => {
  it("gives a tracked event the time its source tracked it as receive time (ids, default createdAt, latency)", async () => {
    const feed = new Feed();
    const a = new Held();
    const r = await run([component("source", "feed", feedSource(feed)), component("sink", "a", heldSink(a), ["feed"])]);
    const tracked = feed.delivery.track([ev(1), ev(2)]);
    r.clock.schedule(() => undefined, 50);
    r.advanceTo(50);
    for (const e of tracked) feed.subject.next(e);
    feed.subject.next(ev(3)); // untracked: received when emitted
    expect(a.events.map((e) => [e.id.split("-")[0], e.createdAt])).toEqual([
      ["0", "1970-01-01T00:00:00.000Z"],
      ["0", "1970-01-01T00:00:00.000Z"],
      ["50", "1970-01-01T00:00:00.050Z"],
    ]);
    const latency = r.metrics.histogram("event.latency");
    expect([latency.count, latency.sum]).toEqual([3, 100]);
    a.confirmAll();
  });

  it("settles a batch only after every sink it fans out to confirmed it", async () => {
    const feed = new Feed();
    const a = new Held();
    const b = new Held();
    await run([
      component("source", "feed", feedSource(feed)),
      component("sink", "a", heldSink(a), ["feed"]),
      component("sink", "b", heldSink(b), ["feed"]),
      component("sink", "c", plainSink, ["feed"]),
    ]);
    feed.push([ev(1), ev(2)]);
    expect(feed.delivery.pending).toBe(2);
    a.confirmAll();
    expect(feed.settled).toEqual([]);
    b.delivery.confirm(b.events[0]);
    expect(feed.settled).toEqual([]);
    b.delivery.confirm(b.events[1]);
    expect(feed.settled).toEqual([{ events: 2, failed: 0, lost: 0 }]);
    expect(feed.delivery.pending).toBe(0);
  });

  it("counts fan-out after an operator: both branches must confirm", async () => {
    const feed = new Feed();
    const a = new Held();
    const b = new Held();
    await run([
      component("source", "feed", feedSource(feed)),
      component("operator", "all", filterPlugin, ["feed"], {}),
      component("sink", "a", heldSink(a), ["all"]),
      component("sink", "b", heldSink(b), ["all"]),
    ]);
    feed.push([ev(1)]);
    a.confirmAll();
    expect(feed.settled).toEqual([]);
    b.confirmAll();
    expect(feed.settled).toEqual([{ events: 1, failed: 0, lost: 0 }]);
  });

  it("settles what the built-in filter drops and what sample replaces by a copy", async () => {
    const feed = new Feed();
    const out = new Held();
    await run([
      component("source", "feed", feedSource(feed)),
      component("operator", "keep", filterPlugin, ["feed"], { include: { n: "2" } }),
      component("operator", "half", samplePlugin, ["keep"], { ratio: 0.5, key: "n", hashSeed: 1, missingKey: "keep" }),
      component("sink", "out", heldSink(out), ["half"]),
    ]);
    feed.push([ev(1), ev(2), ev(12), ev(22), ev(32), ev(42), ev(52)]);
    // 1 is filtered out; of the six with a 2, sample keeps some (copies with sampleRate) and drops the rest.
    expect(out.events.length).toBeGreaterThan(0);
    expect(out.events.length).toBeLessThan(6);
    expect(out.events.every((e) => e.data.sampleRate === 2)).toBe(true);
    expect(feed.settled).toEqual([]);
    out.confirmAll();
    expect(feed.settled).toEqual([{ events: 7, failed: 0, lost: 0 }]);
  });

  it("settles what an operator swallowed after ackTimeoutMs, counts it and names the operator", async () => {
    const feed = new Feed();
    const out = new Held();
    const r = await run([
      component("source", "feed", feedSource(feed), [], { ackTimeoutMs: 1000 }),
      component("operator", "odd-dropper", swallowOdd, ["feed"]),
      component("sink", "out", heldSink(out), ["odd-dropper"]),
    ]);
    feed.push([ev(1), ev(2)]);
    out.confirmAll();
    r.advanceTo(900);
    expect(feed.settled).toEqual([]);
    r.advanceTo(1500);
    expect(feed.settled).toEqual([{ events: 2, failed: 0, lost: 1 }]);
    expect(r.metrics.counter("pipeline.ack-timeouts").value).toBe(1);
    await flushLogs();
    expect(r.warnings.join("\n")).toContain("operators.odd-dropper");
    expect(feed.delivery.pending).toBe(0);
  });

  it("keeps waiting for a slow sink past ackTimeoutMs: only a swallowing operator makes events lost", async () => {
    const feed = new Feed();
    const out = new Held();
    const r = await run([component("source", "feed", feedSource(feed), [], { ackTimeoutMs: 1000 }), component("sink", "out", heldSink(out), ["feed"])]);
    feed.push([ev(1)]);
    r.advanceTo(10_000);
    expect(feed.settled).toEqual([]);
    expect(r.metrics.counter("pipeline.ack-timeouts").value).toBe(0);
    out.confirmAll();
    expect(feed.settled).toEqual([{ events: 1, failed: 0, lost: 0 }]);
  });

  it("a failed event settles as failed, counted and reported with the sink's name; the others go on", async () => {
    const feed = new Feed();
    const out = new Held();
    const other = new Held();
    const r = await run([
      component("source", "feed", feedSource(feed)),
      component("sink", "disk", heldSink(out), ["feed"]),
      component("sink", "other", heldSink(other), ["feed"]),
    ]);
    feed.push([ev(1)]);
    feed.push([ev(2)]);
    out.delivery.fail(out.events[0], new Error("disk full"));
    out.delivery.confirm(out.events[1]);
    other.confirmAll();
    expect(feed.settled).toEqual([
      { events: 1, failed: 1, lost: 0 },
      { events: 1, failed: 0, lost: 0 },
    ]);
    expect(r.metrics.counter("pipeline.sink-failures").value).toBe(1);
    await flushLogs();
    expect(r.errors.join("\n")).toContain("sinks.disk");
  });

  it("an event an operator throws on is held by it and settles as lost after ackTimeoutMs", async () => {
    const feed = new Feed();
    const out = new Held();
    const r = await run([
      component("source", "feed", feedSource(feed), [], { ackTimeoutMs: 1000 }),
      component("operator", "thrower", throwOnThree, ["feed"]),
      component("sink", "out", heldSink(out), ["thrower"]),
    ]);
    feed.push([ev(3)]);
    feed.push([ev(4)]);
    out.confirmAll();
    expect(feed.settled).toEqual([{ events: 1, failed: 0, lost: 0 }]);
    r.advanceTo(1500);
    expect(feed.settled).toEqual([
      { events: 1, failed: 0, lost: 0 },
      { events: 1, failed: 0, lost: 1 },
    ]);
    await flushLogs();
    expect(r.warnings.join("\n")).toContain("operators.thrower took them without emitting or dropping them, or threw on them");
  });

  it("reports full at maxPendingEvents and calls onCapacity once below it; pending is a gauge", async () => {
    const feed = new Feed();
    const out = new Held();
    const r = await run([component("source", "feed", feedSource(feed), [], { maxPendingEvents: 3 }), component("sink", "out", heldSink(out), ["feed"])]);
    feed.push([ev(1), ev(2)]);
    expect(feed.delivery.full).toBe(false);
    feed.push([ev(3)]);
    expect(feed.delivery.full).toBe(true);
    expect(r.metrics.snapshot((id) => id === "sources.feed.pending")).toEqual([{ id: "sources.feed.pending", type: "gauge", value: 3 }]);
    let resumed = 0;
    feed.delivery.onCapacity(() => resumed++);
    expect(resumed).toBe(0);
    out.delivery.confirm(out.events[2]);
    expect(resumed).toBe(1);
    out.confirmAll();
    expect(resumed).toBe(1);
    expect(r.metrics.histogram("pipeline.settle-latency").count).toBe(2);
  });

  it("a sink that throws on one event: reported with its name, counted, that event failed, the rest delivered", async () => {
    const feed = new Feed();
    const got: unknown[] = [];
    const thrower = defineSink({
      type: "thrower",
      description: "throws on n = 2",
      options: z.strictObject({}),
      plugin: class implements Sink {
        consume(events: Observable<LiveEvent>): Promise<void> {
          return new Promise((resolve) =>
            events.subscribe({
              next: (e) => {
                if (e.data.n === 2) throw new Error("cannot take two");
                got.push(e.data.n);
              },
              complete: resolve,
            }),
          );
        }
      },
    });
    const r = await run([component("source", "feed", feedSource(feed)), component("sink", "picky", thrower, ["feed"])]);
    feed.push([ev(1)]);
    feed.push([ev(2)]);
    feed.push([ev(3)]);
    expect(got).toEqual([1, 3]);
    expect(feed.settled).toEqual([
      { events: 1, failed: 0, lost: 0 },
      { events: 1, failed: 1, lost: 0 },
      { events: 1, failed: 0, lost: 0 },
    ]);
    expect(r.metrics.counter("pipeline.sink-failures").value).toBe(1);
    await flushLogs();
    expect(r.errors.join("\n")).toMatch(/sinks\.picky failed an event \(cannot take two\)/);
  });

  it("a sink that stopped consuming fails what is meant for it, so its source never waits for it", async () => {
    const feed = new Feed();
    const other = new Held();
    const quitter = defineSink({
      type: "quitter",
      description: "takes one event, then ends",
      options: z.strictObject({}),
      plugin: class implements Sink {
        consume(events: Observable<LiveEvent>): Promise<void> {
          return new Promise((resolve) => {
            const sub = events.subscribe(() => {
              sub.unsubscribe();
              resolve();
            });
          });
        }
      },
    });
    await run([component("source", "feed", feedSource(feed)), component("sink", "quitter", quitter, ["feed"]), component("sink", "other", heldSink(other), ["feed"])]);
    feed.push([ev(1)]);
    await new Promise((resolve) => setImmediate(resolve));
    feed.push([ev(2)]);
    other.confirmAll();
    expect(feed.settled).toEqual([
      { events: 1, failed: 0, lost: 0 },
      { events: 1, failed: 1, lost: 0 },
    ]);
  });

  it("leaves no timer behind when the pipeline ends with events still unsettled", async () => {
    const feed = new Feed();
    const out = new Held();
    const r = await run([component("source", "feed", feedSource(feed)), component("sink", "out", heldSink(out), ["feed"])]);
    feed.push([ev(1)]);
    expect(r.clock.actions.length).toBe(1); // the ack-timeout watch
    feed.subject.complete();
    await r.pipeline.done;
    expect(r.clock.actions.length).toBe(0);
  });

  it("costs nothing for events nobody tracks", async () => {
    const feed = new Feed();
    const out = new Held();
    await run([component("source", "feed", feedSource(feed)), component("sink", "out", heldSink(out), ["feed"])]);
    feed.subject.next(ev(1));
    out.confirmAll();
    expect(feed.delivery.pending).toBe(0);
    expect(feed.settled).toEqual([]);
  });
});

// The tap points of a running pipeline (TAPS, PIPELINE): counters come from the delivery
// ledgers only, once per event, whether or not anyone taps; a tap never holds or settles.
describe("tap points and the live counters", () => {
  const counters = (taps: PipelineTaps) => taps.components().map(({ name, eventsIn, eventsOut, dropped }) => ({ name, eventsIn, eventsOut, dropped }));

  it("count each event once, the same with taps attached to every component as with none, and never settle", async () => {
    const outcome = async (tapped: boolean) => {
      const [feed, out, side] = [new Feed(), new Held(), new Held()];
      // A chain, a fan-out (keep) and a merge (out reads all and feed).
      const { taps } = await run([
        component("source", "feed", feedSource(feed)),
        component("operator", "keep", filterPlugin, ["feed"], { include: { n: "2" } }),
        component("operator", "all", filterPlugin, ["keep"], {}),
        component("sink", "out", heldSink(out), ["all", "feed"]),
        component("sink", "side", heldSink(side), ["keep"]),
      ]);
      const seen = new Map<string, number>();
      if (tapped) for (const path of taps.names()) taps.tap(path).subscribe(() => seen.set(path, (seen.get(path) ?? 0) + 1));
      feed.push([ev(1), ev(2), ev(12)]);
      const beforeConfirm = [...feed.settled];
      out.confirmAll();
      side.confirmAll();
      return { counters: counters(taps), beforeConfirm, settled: feed.settled, seen: Object.fromEntries(seen) };
    };
    const untapped = await outcome(false);
    const tapped = await outcome(true);
    expect(untapped.counters).toEqual([
      { name: "feed", eventsIn: 3, eventsOut: 3, dropped: 0 },
      { name: "keep", eventsIn: 3, eventsOut: 2, dropped: 1 },
      { name: "all", eventsIn: 2, eventsOut: 2, dropped: 0 },
      { name: "out", eventsIn: 5, eventsOut: 5, dropped: 0 },
      { name: "side", eventsIn: 2, eventsOut: 2, dropped: 0 },
    ]);
    expect(tapped.counters).toEqual(untapped.counters);
    expect(tapped.seen).toEqual({ "sources.feed": 3, "operators.keep": 2, "operators.all": 2 });
    // Settled only by the sinks' confirmations, tapped or not.
    expect(tapped.beforeConfirm).toEqual([]);
    expect(tapped.settled).toEqual([{ events: 3, failed: 0, lost: 0 }]);
    expect(tapped.settled).toEqual(untapped.settled);
  });

  it("an operator no sink reads is not wired: it counts nothing, though its input does", async () => {
    const [feed, out] = [new Feed(), new Held()];
    const { taps } = await run([
      component("source", "feed", feedSource(feed)),
      component("operator", "dangling", filterPlugin, ["feed"], {}),
      component("sink", "out", heldSink(out), ["feed"]),
    ]);
    feed.push([ev(1), ev(2)]);
    expect(counters(taps)).toEqual([
      { name: "feed", eventsIn: 2, eventsOut: 2, dropped: 0 },
      { name: "dangling", eventsIn: 0, eventsOut: 0, dropped: 0 },
      { name: "out", eventsIn: 2, eventsOut: 2, dropped: 0 },
    ]);
  });

  it("a sink's failed and dropped events are not also counted as passed on", async () => {
    const [feed, out] = [new Feed(), new Held()];
    const { taps } = await run([component("source", "feed", feedSource(feed)), component("sink", "out", heldSink(out), ["feed"])]);
    feed.push([ev(1), ev(2), ev(3), ev(4)]);
    const [, failed, dropped] = out.events.splice(0, 3);
    out.delivery.fail(failed, new Error("refused"));
    out.delivery.drop(dropped);
    expect(counters(taps)[1]).toEqual({ name: "out", eventsIn: 4, eventsOut: 2, dropped: 2 });
  });

  it("an operator's dropped includes what settled as lost on its account", async () => {
    const [feed, out] = [new Feed(), new Held()];
    const r = await run([
      component("source", "feed", feedSource(feed), [], { ackTimeoutMs: 1000 }),
      component("operator", "odd-dropper", swallowOdd, ["feed"]),
      component("sink", "out", heldSink(out), ["odd-dropper"]),
    ]);
    feed.push([ev(1), ev(2), ev(3)]);
    out.confirmAll();
    expect(counters(r.taps)[1]).toEqual({ name: "odd-dropper", eventsIn: 3, eventsOut: 1, dropped: 0 });
    r.advanceTo(1500);
    expect(counters(r.taps)[1]).toEqual({ name: "odd-dropper", eventsIn: 3, eventsOut: 1, dropped: 2 });
  });

  it("a tap subscriber that throws is reported and cut off; the event goes on to its sink and settles", async () => {
    const [feed, out] = [new Feed(), new Held()];
    const r = await run([component("source", "feed", feedSource(feed)), component("sink", "out", heldSink(out), ["feed"])]);
    let calls = 0;
    const sub = r.taps.tap("sources.feed").subscribe(() => {
      calls++;
      throw new Error("tap consumer bug");
    });
    feed.push([ev(1)]);
    feed.push([ev(2)]);
    out.confirmAll();
    expect(calls).toBe(1);
    expect(sub.closed).toBe(true);
    expect(feed.settled).toEqual([
      { events: 1, failed: 0, lost: 0 },
      { events: 1, failed: 0, lost: 0 },
    ]);
    expect(r.metrics.counter("pipeline.errors").value).toBe(1);
    await flushLogs();
    expect(r.errors.join("\n")).toContain("a tap of sources.feed threw (tap consumer bug); it was unsubscribed");
  });
});
