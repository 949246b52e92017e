import "reflect-metadata";
import { describe, expect, it } from "vitest";
import { Observable, Subject, Subscription, filter, from, map, type OperatorFunction, type SchedulerLike } from "rxjs";
import { TestScheduler } from "rxjs/testing";
import { z } from "zod";
import { inject, injectable } from "tsyringe";
import pino from "pino";
import { defineOperator, defineSink, defineSource, PluginProblems, type Operator, type PluginDefinition, type Sink, type Source } from "../plugin.js";
import type { LiveEvent, LiveEventInput } from "../event.js";
import { OPTIONS } from "../tokens.js";
import { ConfigError, type ComponentConfig, type PipelineConfig } from "../config/model.js";
import { MetricsRegistry } from "../metrics/registry.js";
import { HttpServerPool } from "../http/pool.js";
import { Pipeline, type PipelineOptions } from "./pipeline.js";

const Empty = z.strictObject({});

/** A source whose events a test pushes through a Subject; counts its subscriptions. */
class Feed {
  readonly subject = new Subject<LiveEventInput>();
  subscriptions = 0;
  drained = false;
}

function feedSource(feed: Feed, withDrain = false): PluginDefinition<"source"> {
  @injectable()
  class FeedSource implements Source {
    events(): Observable<LiveEventInput> {
      return new Observable((sub) => {
        feed.subscriptions++;
        return feed.subject.subscribe(sub);
      });
    }
  }
  if (withDrain) {
    (FeedSource.prototype as Source).drain = () => {
      feed.drained = true;
      feed.subject.next({ type: "feed.last", data: { n: -1 } });
      feed.subject.complete();
    };
  }
  return defineSource({ type: "feed", description: "test feed", options: Empty, plugin: FeedSource });
}

const listSource = (events: LiveEventInput[]) =>
  defineSource({
    type: "list",
    description: "emits a fixed list then completes",
    options: Empty,
    plugin: class implements Source {
      events() {
        return from(events.map((e) => ({ ...e, data: { ...e.data } })));
      }
    },
  });

class Collected {
  readonly events: LiveEvent[] = [];
  stopped = 0;
  completed = false;
}

function collectSink(store: Collected): PluginDefinition<"sink"> {
  @injectable()
  class CollectSink implements Sink {
    consume(events: Observable<LiveEvent>): Promise<void> {
      return new Promise((resolve, reject) => {
        events.subscribe({ next: (e) => store.events.push(e), complete: () => ((store.completed = true), resolve()), error: reject });
      });
    }
    async stop() {
      store.stopped++;
    }
  }
  return defineSink({ type: "collect", description: "collects", options: Empty, plugin: CollectSink });
}

const KeepOptions = z.strictObject({ type: z.string() });
@injectable()
class KeepType implements Operator {
  constructor(@inject(OPTIONS) private readonly o: z.infer<typeof KeepOptions>) {}
  operator(): OperatorFunction<LiveEvent, LiveEvent> {
    return filter((e) => e.type === this.o.type);
  }
}
const keepType = defineOperator({ type: "keep", description: "keeps one type", options: KeepOptions, plugin: KeepType });

const exploding = defineOperator({
  type: "explode",
  description: "throws on type x.bad",
  options: Empty,
  plugin: class implements Operator {
    operator() {
      return map((e: LiveEvent) => {
        if (e.type === "x.bad") throw new Error("boom");
        return e;
      });
    }
  },
});

function component(kind: ComponentConfig["kind"], name: string, definition: PluginDefinition, inputs: string[] = [], options: unknown = {}): ComponentConfig {
  const folder = kind === "source" ? "sources" : kind === "operator" ? "operators" : "sinks";
  return { kind, name, path: `${folder}.${name}`, type: definition.type, inputs, options, definition };
}

/** A clock that stands still and timers that never fire: tests of timing pass a TestScheduler. */
const stillClock = { now: () => 1_700_000_000_000, schedule: () => new Subscription() } as unknown as SchedulerLike;

function pipelineOf(components: ComponentConfig[], metrics = new MetricsRegistry(), options: PipelineOptions = {}, scheduler = stillClock, logger = pino({ level: "silent" })) {
  const config: PipelineConfig = { dataDir: "/tmp/livetap-test", components, warnings: [] };
  return new Pipeline(config, { logger, metrics, scheduler, http: new HttpServerPool(logger), dataDir: "/tmp/livetap-test" }, options);
}

describe("Pipeline", () => {
  it("stamps ids, createdAt and counts, and ends when every source ended", async () => {
    const out = new Collected();
    const metrics = new MetricsRegistry();
    const p = pipelineOf(
      [
        component("source", "list", listSource([{ type: "a.one", data: {} }, { type: "a.two", createdAt: "2026-01-02T03:04:05.678901+01:00", data: { x: 1 } }])),
        component("sink", "out", collectSink(out), ["list"]),
      ],
      metrics,
    );
    await p.start();
    expect(await p.done).toEqual({ failed: [] });
    expect(out.events.map((e) => e.type)).toEqual(["a.one", "a.two"]);
    expect(out.events[0].id).toMatch(/^1700000000000-\d+$/);
    expect(out.events[0].createdAt).toBe("2023-11-14T22:13:20.000Z");
    expect(out.events[1].createdAt).toBe("2026-01-02T02:04:05.678Z");
    const [seqA, seqB] = out.events.map((e) => Number(e.id.split("-")[1]));
    expect(seqB).toBeGreaterThan(seqA);
    expect(metrics.counter("events.received").value).toBe(2);
    expect(metrics.counter("a.one").value).toBe(1);
    expect(metrics.histogram("event.latency").count).toBe(2);
    expect(out.stopped).toBe(1);
  });

  it("subscribes a source once however many consumers it has, and fans out to all", async () => {
    const feed = new Feed();
    const a = new Collected();
    const b = new Collected();
    const p = pipelineOf([
      component("source", "feed", feedSource(feed)),
      component("operator", "keep", keepType, ["feed"], { type: "x.keep" }),
      component("sink", "a", collectSink(a), ["feed"]),
      component("sink", "b", collectSink(b), ["keep", "feed"]),
    ]);
    await p.start();
    await new Promise((r) => setImmediate(r));
    feed.subject.next({ type: "x.keep", data: {} });
    feed.subject.next({ type: "x.drop", data: {} });
    feed.subject.complete();
    await p.done;
    expect(feed.subscriptions).toBe(1);
    expect(a.events.map((e) => e.type)).toEqual(["x.keep", "x.drop"]);
    expect(b.events.map((e) => e.type).sort()).toEqual(["x.drop", "x.keep", "x.keep"]);
  });

  it("stop() drains: a source with drain() emits what it holds before the sinks complete", async () => {
    const feed = new Feed();
    const out = new Collected();
    const p = pipelineOf([component("source", "feed", feedSource(feed, true)), component("sink", "out", collectSink(out), ["feed"])]);
    await p.start();
    await new Promise((r) => setImmediate(r));
    feed.subject.next({ type: "feed.first", data: {} });
    const result = await p.stop();
    expect(result.failed).toEqual([]);
    expect(feed.drained).toBe(true);
    expect(out.events.map((e) => e.type)).toEqual(["feed.first", "feed.last"]);
    expect(out.completed).toBe(true);
  });

  it("stop() unsubscribes sources without drain() and still completes the sinks", async () => {
    const feed = new Feed();
    const out = new Collected();
    const p = pipelineOf([component("source", "feed", feedSource(feed)), component("sink", "out", collectSink(out), ["feed"])]);
    await p.start();
    await new Promise((r) => setImmediate(r));
    feed.subject.next({ type: "feed.one", data: {} });
    await p.stop();
    expect(feed.subject.observed).toBe(false);
    expect(out.completed).toBe(true);
    expect(out.events).toHaveLength(1);
  });

  it("an operator that throws loses that event only, is reported, and the others go on", async () => {
    const feed = new Feed();
    const out = new Collected();
    const other = new Collected();
    const metrics = new MetricsRegistry();
    const p = pipelineOf(
      [
        component("source", "feed", feedSource(feed)),
        component("operator", "explode", exploding, ["feed"]),
        component("sink", "out", collectSink(out), ["explode"]),
        component("sink", "other", collectSink(other), ["feed"]),
      ],
      metrics,
    );
    await p.start();
    await new Promise((r) => setImmediate(r));
    for (const type of ["x.ok", "x.bad", "x.ok"]) feed.subject.next({ type, data: {} });
    feed.subject.complete();
    await p.done;
    expect(out.events.map((e) => e.type)).toEqual(["x.ok", "x.ok"]);
    expect(other.events).toHaveLength(3);
    expect(metrics.counter("pipeline.errors").value).toBe(1);
  });

  it("a failing sink is reported by name and does not stop the other sinks", async () => {
    const out = new Collected();
    const failing = defineSink({
      type: "failing",
      description: "rejects",
      options: Empty,
      plugin: class implements Sink {
        consume() {
          return Promise.reject(new Error("disk full"));
        }
      },
    });
    const p = pipelineOf([
      component("source", "list", listSource([{ type: "a.one", data: {} }])),
      component("sink", "bad", failing, ["list"]),
      component("sink", "out", collectSink(out), ["list"]),
    ]);
    await p.start();
    expect((await p.done).failed).toEqual(["sinks.bad"]);
    expect(out.events).toHaveLength(1);
  });

  it("a source that errors is reported and its branch completes", async () => {
    const out = new Collected();
    const broken = defineSource({
      type: "broken",
      description: "errors",
      options: Empty,
      plugin: class implements Source {
        events() {
          return new Observable<LiveEventInput>((s) => {
            s.next({ type: "a.before", data: {} });
            s.error(new Error("socket gone"));
          });
        }
      },
    });
    const p = pipelineOf([component("source", "broken", broken), component("sink", "out", collectSink(out), ["broken"])]);
    await p.start();
    expect((await p.done).failed).toEqual(["sources.broken"]);
    expect(out.events.map((e) => e.type)).toEqual(["a.before"]);
  });

  it("reports every startup problem at once with component paths, and stops what started", async () => {
    const out = new Collected();
    const refusing = defineSink({
      type: "refusing",
      description: "refuses to start",
      options: Empty,
      plugin: class implements Sink {
        async start() {
          throw new PluginProblems([{ path: ["address"], message: "0.0.0.0:1 is not a loopback address" }]);
        }
        consume() {
          return Promise.resolve();
        }
      },
    });
    const throwing = defineSink({
      type: "throwing",
      description: "constructor throws",
      options: Empty,
      plugin: class implements Sink {
        constructor() {
          throw new Error("no such device");
        }
        consume() {
          return Promise.resolve();
        }
      },
    });
    const p = pipelineOf([
      component("source", "list", listSource([])),
      component("sink", "a", refusing, ["list"]),
      component("sink", "b", throwing, ["list"]),
      component("sink", "c", collectSink(out), ["list"]),
    ]);
    const err = await p.start().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).message.split("\n").sort()).toEqual([
      "sinks.a.address: 0.0.0.0:1 is not a loopback address",
      "sinks.b: cannot be created: no such device",
    ]);
  });

  it("plain JS plugins list their injections in a static `inject`", async () => {
    const out = new Collected();
    class PlainSource {
      static inject = [OPTIONS];
      constructor(private readonly o: { n: number }) {}
      events() {
        return from([{ type: "plain.event", data: { n: this.o.n } }]);
      }
    }
    const plain = defineSource({ type: "plain", description: "plain js", options: { type: "object" }, plugin: PlainSource });
    const p = pipelineOf([component("source", "plain", plain, [], { n: 7 }), component("sink", "out", collectSink(out), ["plain"])]);
    await p.start();
    await p.done;
    expect(out.events[0].data).toEqual({ n: 7 });
  });
});

describe("Pipeline stop and give-up paths", () => {
  /** The TestScheduler, recording what is scheduled so a test can see a timer was cancelled. */
  function recordingScheduler() {
    const ts = new TestScheduler((a, b) => expect(a).toEqual(b));
    const timers: { delay: number; subscription: Subscription }[] = [];
    const scheduler = {
      now: () => ts.now(),
      schedule: (work: never, delay = 0, state?: unknown) => {
        const subscription = ts.schedule(work, delay, state);
        timers.push({ delay, subscription });
        return subscription;
      },
    } as unknown as SchedulerLike;
    return { ts, timers, scheduler };
  }
  const tick = () => new Promise((resolve) => setImmediate(resolve));

  it("cuts off a source that is still draining drainTimeoutMs after stop(), not before", async () => {
    const feed = new Feed();
    let drainAsked = false;
    const stubborn = defineSource({
      type: "stubborn",
      description: "never finishes draining",
      options: Empty,
      plugin: class implements Source {
        events() {
          return feed.subject.asObservable();
        }
        drain() {
          drainAsked = true;
        }
      },
    });
    const out = new Collected();
    const { ts, scheduler } = recordingScheduler();
    const warnings: string[] = [];
    const logger = pino({ level: "warn" }, { write: (line: string) => void warnings.push((JSON.parse(line) as { msg: string }).msg) });
    const p = pipelineOf([component("source", "stubborn", stubborn), component("sink", "out", collectSink(out), ["stubborn"])], new MetricsRegistry(), { drainTimeoutMs: 7_777 }, scheduler, logger);
    await p.start();
    await tick();
    feed.subject.next({ type: "feed.one", data: {} });
    const stopped = p.stop();
    expect(drainAsked).toBe(true);

    ts.maxFrames = 7_776;
    ts.flush();
    await tick();
    feed.subject.next({ type: "feed.while-draining", data: {} });
    expect(out.completed).toBe(false);
    expect(warnings).toEqual([]);

    ts.maxFrames = 7_777;
    ts.flush();
    expect(out.completed).toBe(true);
    expect(await stopped).toEqual({ failed: [] });
    expect(out.events.map((e) => e.type)).toEqual(["feed.one", "feed.while-draining"]);
    expect(feed.subject.observed).toBe(false);
    expect(warnings).toEqual(["sources.stubborn did not finish draining within 7777 ms: cut off (events still in flight there may be lost)"]);
  });

  it("cancels the cut-off timer when the sources drained in time", async () => {
    const feed = new Feed();
    const out = new Collected();
    const { timers, scheduler } = recordingScheduler();
    const p = pipelineOf([component("source", "feed", feedSource(feed, true)), component("sink", "out", collectSink(out), ["feed"])], new MetricsRegistry(), { drainTimeoutMs: 7_777 }, scheduler);
    await p.start();
    await tick();
    expect(await p.stop()).toEqual({ failed: [] });
    const cutOff = timers.filter((t) => t.delay === 7_777);
    expect(cutOff).toHaveLength(1);
    expect(cutOff[0].subscription.closed).toBe(true);
  });

  it("gives an operator up after maxOperatorRestarts errors in a row (a passed event resets the count), completing only its branch", async () => {
    const feed = new Feed();
    const out = new Collected();
    const other = new Collected();
    const metrics = new MetricsRegistry();
    const p = pipelineOf(
      [
        component("source", "feed", feedSource(feed)),
        component("operator", "explode", exploding, ["feed"]),
        component("sink", "out", collectSink(out), ["explode"]),
        component("sink", "other", collectSink(other), ["feed"]),
      ],
      metrics,
      { maxOperatorRestarts: 2 },
    );
    await p.start();
    await tick();
    const send = (...types: string[]) => types.forEach((type) => feed.subject.next({ type, data: {} }));

    send("x.bad", "x.bad", "x.ok", "x.bad", "x.bad", "x.ok");
    expect(out.events.map((e) => e.type)).toEqual(["x.ok", "x.ok"]);
    expect(out.completed).toBe(false);
    expect(metrics.counter("pipeline.errors").value).toBe(4);

    send("x.bad", "x.bad", "x.bad", "x.ok");
    expect(out.completed).toBe(true);
    expect(out.events).toHaveLength(2);
    expect(metrics.counter("pipeline.errors").value).toBe(4 + 2 + 1);

    send("x.late");
    feed.subject.complete();
    expect((await p.done).failed).toEqual(["operators.explode"]);
    expect(other.events).toHaveLength(11);
  });
});
