import { describe, expect, it } from "vitest";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { sharedNatsServer } from "../../../test/support/nats-server.js";
import { collected, feeds, startPipeline, until } from "../../../test/support/pipeline-run.js";
import { freePort } from "../../../core/testing.js";

const nats = sharedNatsServer();

async function stream(name: string, subjects: string[]): Promise<number> {
  const jsm = await jetstreamManager(nats.nc);
  const info = await jsm.streams.add({ name, subjects, storage: "memory" as never });
  return Date.parse(info.created.replace(/(\.\d{3})\d+/, "$1"));
}

const got = (name: string) => collected.get(name) ?? [];

describe("nats source", () => {
  it("an ordered consumer gives every event with the stream's id <E>-<S>, the same on two nodes", async () => {
    const epoch = await stream("ORD", ["ord.>"]);
    const bus = { servers: [nats.server.url], stream: "ORD" };
    const ingest = await startPipeline({
      sources: { in: { type: "feed", name: "ord-in" } },
      sinks: { bus: { type: "nats", inputs: ["in"], ...bus, subject: "ord.{type}" } },
    });
    const edges = await Promise.all(
      ["ord-a", "ord-b"].map((n) => startPipeline({ sources: { bus: { type: "nats", ...bus } }, sinks: { out: { type: "collect", inputs: ["bus"], name: n } } })),
    );
    // The edges' consumers exist once started: "new" takes what is published from here on.
    feeds.get("ord-in")!.push([1, 2, 3].map((n) => ({ type: "t.n", text: `n${n}`, data: { n } })));
    await until(() => got("ord-a").length === 3 && got("ord-b").length === 3, "both edges got 3");
    expect(got("ord-a").map((e) => e.id)).toEqual([`${epoch}-1`, `${epoch}-2`, `${epoch}-3`]);
    expect(got("ord-b").map((e) => e.id)).toEqual(got("ord-a").map((e) => e.id));
    expect(got("ord-a")[1]).toMatchObject({ type: "t.n", text: "n2", data: { n: 2 } });
    await Promise.all([ingest, ...edges].map((r) => r.pipeline.stop()));
  });

  it("a message that is not an event becomes nats.unparsed with the raw text, and is acked", async () => {
    await stream("RAW", ["raw.>"]);
    const run = await startPipeline({
      sources: { bus: { type: "nats", servers: [nats.server.url], stream: "RAW", durable: "raw", deliver: "all" } },
      sinks: { out: { type: "collect", inputs: ["bus"], name: "raw" } },
    });
    const js = jetstream(nats.nc);
    await js.publish("raw.x", "not json {");
    await js.publish("raw.y", JSON.stringify({ hello: 1 }));
    await js.publish("raw.z", JSON.stringify({ type: "ok.event", data: { a: 1 } }));
    await until(() => got("raw").length === 3, "3 events");
    expect(got("raw").map((e) => e.type)).toEqual(["nats.unparsed", "nats.unparsed", "ok.event"]);
    expect(got("raw")[0]!.data).toMatchObject({ message: "not json {", subject: "raw.x" });
    expect(String(got("raw")[0]!.data.parseError)).toMatch(/^not JSON/);
    expect(got("raw")[1]!.data.parseError).toBe('no string "type"');
    expect(run.metrics.counter("sources.bus.unparsed").value).toBe(2);
    const jsm = await jetstreamManager(nats.nc);
    let info = await jsm.consumers.info("RAW", "raw");
    for (let i = 0; i < 100 && info.num_ack_pending > 0; i++) {
      await new Promise((r) => setTimeout(r, 20));
      info = await jsm.consumers.info("RAW", "raw");
    }
    expect(info.num_ack_pending).toBe(0);
    expect(info.num_pending).toBe(0);
    await run.pipeline.stop();
  });

  it("deliver all / last-per-subject / since start where they say", async () => {
    await stream("DEL", ["del.>"]);
    const js = jetstream(nats.nc);
    await js.publish("del.a", JSON.stringify({ type: "d.a", data: { n: 1 } }));
    await js.publish("del.b", JSON.stringify({ type: "d.b", data: { n: 2 } }));
    await new Promise((r) => setTimeout(r, 5)); // so the third has a later millisecond than the second
    await js.publish("del.a", JSON.stringify({ type: "d.a", data: { n: 3 } }));
    const jsm = await jetstreamManager(nats.nc);
    const third = await jsm.streams.getMessage("DEL", { seq: 3 });
    const since = new Date(third!.timestamp).toISOString();
    const runs = await Promise.all(
      (
        [
          ["del-all", "all"],
          ["del-last", "last-per-subject"],
          ["del-since", { since }],
        ] as const
      ).map(([name, deliver]) =>
        startPipeline({ sources: { bus: { type: "nats", servers: [nats.server.url], stream: "DEL", deliver } }, sinks: { out: { type: "collect", inputs: ["bus"], name } } }),
      ),
    );
    await until(() => got("del-all").length === 3 && got("del-last").length === 2 && got("del-since").length >= 1, "deliveries");
    expect(got("del-all").map((e) => e.data.n)).toEqual([1, 2, 3]);
    expect(got("del-last").map((e) => e.data.n)).toEqual([2, 3]);
    expect(got("del-since").map((e) => e.data.n)).toEqual([3]);
    await Promise.all(runs.map((r) => r.pipeline.stop()));
  });

  it("a shared durable splits the events: each is processed once by one of two nodes", async () => {
    await stream("SPLIT", ["split.>"]);
    const nodes = await Promise.all(
      ["split-a", "split-b"].map((name) =>
        startPipeline({
          sources: { bus: { type: "nats", servers: [nats.server.url], stream: "SPLIT", durable: "workers", deliver: "all" } },
          sinks: { out: { type: "collect", inputs: ["bus"], name } },
        }),
      ),
    );
    const js = jetstream(nats.nc);
    const n = 2000;
    for (let i = 0; i < n; i++) await js.publish("split.x", JSON.stringify({ type: "s.x", data: { i } }));
    await until(() => got("split-a").length + got("split-b").length >= n, "all split");
    const all = [...got("split-a"), ...got("split-b")].map((e) => e.data.i as number).sort((a, b) => a - b);
    expect(all).toEqual(Array.from({ length: n }, (_, i) => i));
    expect(got("split-a").length).toBeGreaterThan(0);
    expect(got("split-b").length).toBeGreaterThan(0);
    await Promise.all(nodes.map((r) => r.pipeline.stop()));
  });

  it("a missing stream: validate reports it at stream; run waits for it (edges may start before ingest)", async () => {
    const config = { sources: { bus: { type: "nats", servers: [nats.server.url], stream: "LATER" } }, sinks: { out: { type: "collect", inputs: ["bus"], name: "later" } } };
    const err = (await startPipeline(config, { dryRun: true }).catch((e: unknown) => e)) as { problems: { path: string[]; message: string }[] };
    expect(err.problems.map((p) => `${p.path.join(".")}: ${p.message}`)).toEqual([
      `sources.bus.stream: stream "LATER" does not exist on 127.0.0.1:${nats.server.port}: create it (a nats sink with "createStream" does)`,
    ]);
    const run = await startPipeline(config);
    await until(() => run.logs.some((l) => l.startsWith('sources.bus stream "LATER" does not exist')), "the wait logged");
    await stream("LATER", ["later.>"]);
    await until(() => run.logs.some((l) => l.startsWith("sources.bus connected")), "connected once the stream exists");
    await jetstream(nats.nc).publish("later.x", JSON.stringify({ type: "l.x", data: {} }));
    await until(() => got("later").length === 1, "the event");
    await run.pipeline.stop();
  });

  describe("stopped before its first pull, it ends at once (no drain cut-off)", () => {
    const cutOff = (logs: string[]) => logs.filter((l) => l.includes("did not finish draining"));

    it("while it could not reach the server yet", async () => {
      const port = await freePort();
      const run = await startPipeline({ sources: { bus: { type: "nats", servers: [`nats://127.0.0.1:${port}`], stream: "NOWHERE" } }, sinks: { out: { type: "collect", inputs: ["bus"], name: "nowhere" } } });
      // A retry, not the first try: by then the pipeline subscribed and the source waits for its connection.
      await until(() => run.logs.some((l) => l.startsWith(`sources.bus cannot reach nats://127.0.0.1:${port}`) && l.endsWith("(attempt 2)")), "a retry logged");
      await run.pipeline.stop();
      expect(cutOff(run.logs)).toEqual([]);
      expect(got("nowhere")).toEqual([]);
    });

    it("while its stream does not exist yet", async () => {
      const run = await startPipeline({ sources: { bus: { type: "nats", servers: [nats.server.url], stream: "NOTYET" } }, sinks: { out: { type: "collect", inputs: ["bus"], name: "notyet" } } });
      await until(() => run.logs.some((l) => l.startsWith('sources.bus stream "NOTYET" does not exist') && l.endsWith("(attempt 2)")), "a retry logged");
      await run.pipeline.stop();
      expect(cutOff(run.logs)).toEqual([]);
    });

    it("while the first pull waits on an empty stream (ordered and durable)", async () => {
      await stream("EMPTY", ["empty.>"]);
      for (const durable of [undefined, "idle"]) {
        const run = await startPipeline({
          sources: { bus: { type: "nats", servers: [nats.server.url], stream: "EMPTY", ...(durable ? { durable } : {}) } },
          sinks: { out: { type: "collect", inputs: ["bus"], name: `empty-${durable}` } },
        });
        await run.pipeline.stop();
        expect(cutOff(run.logs)).toEqual([]);
      }
    });
  });
});
