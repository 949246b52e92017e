import "reflect-metadata";
import { describe, expect, it } from "vitest";
import { Observable, Subject, VirtualTimeScheduler, filter, type OperatorFunction } from "rxjs";
import { z } from "zod";
import pino from "pino";
import { Writable } from "node:stream";
import { DELIVERY, DeliveryOptionsShape, defineOperator, defineSink, defineSource, inject, injectable, type Delivery, type LiveEvent, type LiveEventInput, type Operator, type PluginDefinition, type Settlement, type Sink, type Source } from "../index.js";
import { MetricsRegistry } from "../metrics/registry.js";
import type { ComponentConfig, PipelineConfig } from "../config/model.js";
import { HttpServerPool } from "../http/pool.js";
import filterPlugin from "../../plugins/operators/filter/index.js";
import { Pipeline } from "./pipeline.js";
import { PipelineTaps } from "./taps.js";

// The tap points of a running pipeline (TAPS, PIPELINE): counters come from the delivery
// ledgers only, once per event, whether or not anyone taps; a tap never holds or settles.

class Feed {
  readonly subject = new Subject<LiveEventInput>();
  readonly settled: Settlement[] = [];
  delivery!: Delivery;
  push(batch: LiveEventInput[]): void {
    for (const e of this.delivery.track(batch, (s) => this.settled.push(s))) this.subject.next(e);
  }
}
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
  return defineSource({ type: "feed", description: "test feed", options: z.strictObject({ ...DeliveryOptionsShape }), plugin: FeedSource });
}

/** Confirms on demand; fails events with `fail: true` and drops those with `drop: true` at once. */
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
      return new Promise((resolve) =>
        events.subscribe({
          next: (e) => {
            if (e.data.fail === true) store.delivery.fail(e, new Error("refused"));
            else if (e.data.drop === true) store.delivery.drop(e);
            else store.events.push(e);
          },
          complete: resolve,
        }),
      );
    }
  }
  return defineSink({ type: "held", description: "confirms on demand", options: z.strictObject({}), plugin: HeldSink });
}

/** Drops odd n without telling core (the documented mistake): they settle as lost after ackTimeoutMs. */
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

function component(kind: ComponentConfig["kind"], name: string, definition: PluginDefinition, inputs: string[] = [], options: unknown = {}): ComponentConfig {
  const folder = kind === "source" ? "sources" : kind === "operator" ? "operators" : "sinks";
  return { kind, name, path: `${folder}.${name}`, type: definition.type, inputs, options: (definition.options as z.ZodType).parse(options), definition };
}

async function run(components: ComponentConfig[]) {
  const clock = new VirtualTimeScheduler();
  const metrics = new MetricsRegistry();
  const errors: string[] = [];
  const logger = pino(
    { level: "error" },
    new Writable({
      write(chunk, _enc, done) {
        errors.push((JSON.parse(String(chunk)) as { msg: string }).msg);
        done();
      },
    }),
  );
  const taps = new PipelineTaps();
  const config: PipelineConfig = { dataDir: "/tmp/livetap-taps-test", components, warnings: [] };
  const pipeline = new Pipeline(config, { logger, metrics, scheduler: clock, http: new HttpServerPool(logger), dataDir: config.dataDir, taps });
  await pipeline.start();
  await new Promise((resolve) => setImmediate(resolve));
  return { pipeline, taps, metrics, errors, clock };
}

const ev = (n: number, extra: Record<string, unknown> = {}): LiveEventInput => ({ type: "test.event", data: { n, ...extra } });
const counters = (taps: PipelineTaps) => taps.components().map(({ name, eventsIn, eventsOut, dropped }) => ({ name, eventsIn, eventsOut, dropped }));

/** feed -> keep (n contains 2) -> all -> out (with feed), keep -> side: a chain, a fan-out and a merge. */
function graph(feed: Feed, out: Held, side: Held): ComponentConfig[] {
  return [
    component("source", "feed", feedSource(feed)),
    component("operator", "keep", filterPlugin, ["feed"], { include: { n: "2" } }),
    component("operator", "all", filterPlugin, ["keep"], {}),
    component("sink", "out", heldSink(out), ["all", "feed"]),
    component("sink", "side", heldSink(side), ["keep"]),
  ];
}

describe("tap points in a running pipeline", () => {
  it("count each event once, the same with taps attached to every component as with none, and never settle", async () => {
    const outcome = async (tapped: boolean) => {
      const [feed, out, side] = [new Feed(), new Held(), new Held()];
      const { taps } = await run(graph(feed, out, side));
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
    expect(counters(taps)[1]).toEqual({ name: "dangling", eventsIn: 0, eventsOut: 0, dropped: 0 });
  });

  it("a sink's failed and dropped events are not also counted as passed on", async () => {
    const [feed, out] = [new Feed(), new Held()];
    const { taps } = await run([component("source", "feed", feedSource(feed)), component("sink", "out", heldSink(out), ["feed"])]);
    feed.push([ev(1), ev(2, { fail: true }), ev(3, { drop: true }), ev(4)]);
    expect(counters(taps)[1]).toEqual({ name: "out", eventsIn: 4, eventsOut: 2, dropped: 2 });
  });

  it("an operator's dropped includes what settled as lost on its account", async () => {
    const [feed, out] = [new Feed(), new Held()];
    const { taps, clock } = await run([
      component("source", "feed", feedSource(feed), [], { ackTimeoutMs: 1000 }),
      component("operator", "odd-dropper", swallowOdd, ["feed"]),
      component("sink", "out", heldSink(out), ["odd-dropper"]),
    ]);
    feed.push([ev(1), ev(2), ev(3)]);
    out.confirmAll();
    expect(counters(taps)[1]).toEqual({ name: "odd-dropper", eventsIn: 3, eventsOut: 1, dropped: 0 });
    clock.maxFrames = 1500;
    clock.flush();
    expect(counters(taps)[1]).toEqual({ name: "odd-dropper", eventsIn: 3, eventsOut: 1, dropped: 2 });
  });

  it("a tap subscriber that throws is reported and cut off; the event goes on to its sink and settles", async () => {
    const [feed, out] = [new Feed(), new Held()];
    const { taps, metrics, errors } = await run([component("source", "feed", feedSource(feed)), component("sink", "out", heldSink(out), ["feed"])]);
    let calls = 0;
    const sub = taps.tap("sources.feed").subscribe(() => {
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
    expect(metrics.counter("pipeline.errors").value).toBe(1);
    await new Promise((resolve) => setImmediate(resolve));
    expect(errors.join("\n")).toContain("a tap of sources.feed threw (tap consumer bug); it was unsubscribed");
  });
});
