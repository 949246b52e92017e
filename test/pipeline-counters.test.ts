import { createSocket } from "node:dgram";
import { Observable } from "rxjs";
import { z } from "zod";
import { afterEach, describe, expect, it } from "vitest";
import { DELIVERY, defineSink, inject, injectable, type ComponentStats, type Delivery, type LiveEvent, type Sink } from "../core/index.js";
import { freePort } from "../core/testing.js";
import { startPipeline, until, type Run } from "./support/pipeline-run.js";

// GET /api/pipeline's counters on a real pipeline (CONTRACT 9): real syslog datagrams, a real
// sse sink serving the endpoint, and two sinks of the test's own that hold or fail events.

/** Confirms nothing: every event stays unsettled, so its source reaches maxPendingEvents. */
@injectable()
class HoldSink implements Sink {
  readonly acknowledges = true;
  consume(events: Observable<LiveEvent>): Promise<void> {
    return new Promise((resolve) => events.subscribe({ complete: resolve }));
  }
}

/** Fails the events whose message says "bad" and drops those that say "skip"; confirms the rest. */
@injectable()
class PickySink implements Sink {
  readonly acknowledges = true;
  constructor(@inject(DELIVERY) private readonly delivery: Delivery) {}
  consume(events: Observable<LiveEvent>): Promise<void> {
    return new Promise((resolve) =>
      events.subscribe({
        next: (e) => {
          const message = String(e.data.message);
          if (message.includes("bad")) this.delivery.fail(e, new Error("refused"));
          else if (message.includes("skip")) this.delivery.drop(e);
          else this.delivery.confirm(e);
        },
        complete: resolve,
      }),
    );
  }
}

const plugins = [
  defineSink({ type: "hold", description: "confirms nothing", options: z.strictObject({}), plugin: HoldSink }),
  defineSink({ type: "picky", description: "fails or drops some", options: z.strictObject({}), plugin: PickySink }),
];

let run: Run | undefined;
afterEach(async () => {
  await run?.pipeline.stop();
  run = undefined;
});

async function components(base: string): Promise<Record<string, ComponentStats>> {
  const body = (await (await fetch(`${base}/api/pipeline`)).json()) as { components: ComponentStats[] };
  return Object.fromEntries(body.components.map((c) => [c.name, c]));
}

function sendDatagrams(port: number, messages: string[]): Promise<void> {
  const socket = createSocket("udp4");
  return new Promise<void>((resolve, reject) => {
    let left = messages.length;
    for (const m of messages) {
      socket.send(`<13>1 2026-11-24T11:50:00.123Z host app - - - ${m}`, port, "127.0.0.1", (err) => {
        if (err) reject(err);
        else if (--left === 0) socket.close(() => resolve());
      });
    }
  });
}

describe("GET /api/pipeline dropped counters", () => {
  it("a source's are its own dropped metric: UDP datagrams over maxPendingEvents", async () => {
    const [udp, http] = [await freePort(), await freePort()];
    const base = `http://127.0.0.1:${http}`;
    run = await startPipeline(
      {
        sources: { udp: { type: "syslog", mode: "udp", address: `127.0.0.1:${udp}`, maxPendingEvents: 3 } },
        sinks: { held: { type: "hold", inputs: ["udp"] }, live: { type: "sse", inputs: ["udp"], address: `127.0.0.1:${http}` } },
      },
      { plugins },
    );
    await sendDatagrams(udp, ["one", "two", "three"]);
    await until(() => run!.metrics.counter("events.received").value === 3, "three events received");
    await sendDatagrams(udp, ["four", "five"]);
    await until(() => run!.metrics.counter("sources.udp.dropped").value === 2, "two datagrams dropped");
    const { udp: source, held } = await components(base);
    expect(source).toMatchObject({ kind: "source", eventsOut: 3, dropped: 2 });
    expect(held).toMatchObject({ eventsIn: 3, dropped: 0 });
  });

  it("a sink's are the events it failed or dropped, and those core failed for it", async () => {
    const [udp, http] = [await freePort(), await freePort()];
    const base = `http://127.0.0.1:${http}`;
    run = await startPipeline(
      {
        sources: { udp: { type: "syslog", mode: "udp", address: `127.0.0.1:${udp}` } },
        sinks: { picky: { type: "picky", inputs: ["udp"] }, live: { type: "sse", inputs: ["udp"], address: `127.0.0.1:${http}` } },
      },
      { plugins },
    );
    await sendDatagrams(udp, ["good", "bad", "skip", "bad again", "good again"]);
    await until(() => run!.metrics.counter("events.received").value === 5, "five events received");
    const { picky, live, udp: source } = await components(base);
    expect(picky).toMatchObject({ kind: "sink", eventsIn: 5, dropped: 3 });
    expect(live).toMatchObject({ eventsIn: 5, dropped: 0 });
    expect(source.dropped).toBe(0);
    expect(run.metrics.counter("pipeline.sink-failures").value).toBe(2);
  });
});
