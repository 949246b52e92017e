/**
 * Any-node resume (CONTRACT 8): an sse sink fed by a nats source answers a Last-Event-ID its
 * ring no longer holds from JetStream, through fresh operators, with no duplicate at the
 * seam; another stream's id or one past retention gets the gap frame. Real nats-server.
 */
import { describe, expect, it } from "vitest";
import { jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import type { LiveEvent } from "../core/index.js";
import { compareEventIds } from "../core/kit.js";
import { NatsServer, sharedNatsServer } from "./support/nats-server.js";
import { collected, feeds, probes, startPipeline, until, type Run } from "./support/pipeline-run.js";
import { StreamReader } from "../plugins/sinks/sse/test-support.js";
import type { SseSink } from "../plugins/sinks/sse/index.js";

const nats = sharedNatsServer();

/** An ingest pipeline (feed -> nats) and an edge (nats -> [operators] -> sse with a tiny ring). */
async function cluster(stream: string, edgeOperators: Record<string, unknown> = {}, sseInput = "bus", createStream: Record<string, unknown> | null = { storage: "memory" }, sseExtra: Record<string, unknown> = {}) {
  const bus = { servers: [nats.server.url], stream };
  const ingest = await startPipeline({
    sources: { in: { type: "feed", name: `${stream}-in` } },
    sinks: { bus: { type: "nats", inputs: ["in"], ...bus, subject: `${stream.toLowerCase()}.{type}`, ...(createStream ? { createStream } : {}) } },
  });
  const edge = await startPipeline({
    sources: { bus: { type: "nats", ...bus } },
    operators: edgeOperators,
    sinks: {
      live: { type: "sse", inputs: [sseInput], address: "127.0.0.1:0", replayEvents: 5, batchWindowMs: 5, ...sseExtra },
      seen: { type: "collect", inputs: [sseInput], name: `${stream}-seen` },
      probe: { type: "history-probe", inputs: [sseInput], name: `${stream}-probe` },
    },
  });
  const feed = feeds.get(`${stream}-in`)!;
  const seen = () => collected.get(`${stream}-seen`) ?? [];
  const url = `${sseUrl(edge)}/api/telemetry/traces/live`;
  return { ingest, edge, feed, seen, url, stop: () => Promise.all([ingest.pipeline.stop(), edge.pipeline.stop()]) };
}

function sseUrl(run: Run): string {
  const sink = (run.pipeline as unknown as { built: { config: { name: string }; sink?: SseSink }[] }).built.find((b) => b.config.name === "live")!.sink!;
  return sink.url()!;
}

const push = (feed: { push(b: unknown[]): void }, from: number, to: number, type = (i: number) => (i % 2 ? "odd.n" : "even.n")) =>
  feed.push(Array.from({ length: to - from }, (_, k) => ({ type: type(from + k), data: { i: from + k, user: `u${(from + k) % 7}` } })));

describe("any-node resume from JetStream", () => {
  it("serves exactly the events after a Last-Event-ID older than the ring, then live ones, no duplicate at the seam", async () => {
    const c = await cluster("RESUME");
    push(c.feed, 0, 40);
    await until(() => c.seen().length === 40, "the edge saw 40");
    const ids = c.seen().map((e) => e.id);
    const client = await StreamReader.open(c.url, { "last-event-id": ids[9]! });
    await client.until((r) => r.ids().length >= 30, "30 replayed");
    push(c.feed, 40, 50);
    await until(() => c.seen().length === 50, "the edge saw 50");
    await client.until((r) => r.ids().length >= 40, "10 live");
    expect(client.frames.some((f) => f.event === "gap")).toBe(false);
    expect(client.ids()).toEqual(c.seen().slice(10).map((e) => e.id));
    expect(client.events()[0]).toMatchObject({ type: "even.n", data: { i: 10 } });
    client.close();
    await c.stop();
  });

  it("applies the client's filters and the edge's operators (keyed sample, same hashSeed) to the history", async () => {
    const c = await cluster("SAMPLED", { some: { type: "sample", inputs: ["bus"], rate: 3, key: "user", hashSeed: 42 } }, "some");
    push(c.feed, 0, 60);
    await until(() => (collected.get("SAMPLED-seen") ?? []).length > 0 && c.ingest.metrics.counter("sinks.bus.published").value === 60, "published");
    await until(() => c.edge.metrics.counter("events.received").value === 60, "edge received all");
    const live = c.seen();
    expect(live.length).toBeGreaterThan(0);
    expect(live.length).toBeLessThan(60);
    // A resume from before the first event (seq 0 of this stream): the whole history.
    const epoch = live[0]!.id.split("-")[0];
    const client = await StreamReader.open(`${c.url}?type=even.n`, { "last-event-id": `${epoch}-0` });
    const wanted = live.filter((e) => e.type === "even.n").map((e) => e.id);
    await client.until((r) => r.ids().length >= wanted.length, "the sampled even ones");
    expect(client.ids()).toEqual(wanted);
    client.close();
    await c.stop();
  });

  it("an id of another stream gets the gap frame and the ring", async () => {
    const c = await cluster("FOREIGN");
    push(c.feed, 0, 12);
    await until(() => c.seen().length === 12, "12 seen");
    const client = await StreamReader.open(c.url, { "last-event-id": "1-5" });
    await client.until((r) => r.ids().length >= 5, "the ring");
    expect(client.frames.map((f) => f.event).slice(0, 2)).toEqual(["ping", "gap"]);
    expect(client.ids()).toEqual(c.seen().slice(7).map((e) => e.id));
    client.close();
    await c.stop();
  });

  it("an id older than the stream's retention gets the gap frame, then everything retained", async () => {
    const jsm = await jetstreamManager(nats.nc);
    await jsm.streams.add({ name: "SHORT", subjects: ["short.>"], storage: "memory" as never, max_msgs: 10 });
    const c = await cluster("SHORT", {}, "bus", null);
    // In steps the edge keeps up with: the stream itself keeps only the last 10.
    for (let k = 0; k < 25; k += 5) {
      push(c.feed, k, k + 5);
      await until(() => c.seen().length === k + 5, `${k + 5} seen`);
    }
    const client = await StreamReader.open(c.url, { "last-event-id": c.seen()[2]!.id });
    await client.until((r) => r.ids().length >= 10, "the retained 10");
    expect(client.frames.map((f) => f.event).slice(0, 2)).toEqual(["ping", "gap"]);
    expect(client.ids()).toEqual(c.seen().slice(15).map((e) => e.id));
    client.close();
    await c.stop();
  });

  it("pages a long history through a small client buffer without dropping", async () => {
    const c = await cluster("LONG", {}, "bus", { storage: "memory" }, { clientBufferEvents: 200, batchMaxEvents: 50 });
    push(c.feed, 0, 3000);
    await until(() => c.seen().length === 3000, "3000 seen");
    // clientBufferEvents is the page size: a small one makes many pages.
    const client = await StreamReader.open(c.url, { "last-event-id": c.seen()[0]!.id });
    await client.until((r) => r.ids().length >= 2999, "2999 replayed", 20_000);
    expect(client.ids()).toEqual(c.seen().slice(1).map((e) => e.id));
    expect(client.frames.some((f) => f.event === "dropped")).toBe(false);
    client.close();
    await c.stop();
  });

  it("HISTORY answers since= (a time) through the same service", async () => {
    const c = await cluster("SINCE");
    push(c.feed, 0, 5);
    await until(() => c.seen().length === 5, "5 seen");
    await new Promise((r) => setTimeout(r, 5)); // the next ones get a later millisecond
    const since = Date.now();
    await new Promise((r) => setTimeout(r, 5));
    push(c.feed, 5, 9);
    await until(() => c.seen().length === 9, "9 seen");
    const history = probes.get("SINCE-probe")!;
    expect(history.available).toBe(true);
    const page = (await history.query({ since, limit: 100 }))!;
    const got: LiveEvent[] = [];
    await new Promise<void>((resolve, reject) => page.events.subscribe({ next: (e) => got.push(e), complete: resolve, error: reject }));
    expect(page.gap).toBe(false);
    expect(got.map((e) => e.data.i)).toEqual([5, 6, 7, 8]);
    expect(page.next).toBeUndefined();
    expect(page.lastId).toBe(c.seen()[8]!.id);
    await c.stop();
  });

  it("since= older than the edge's tiny ring: every retained matching event from the stream, then live ones, no duplicate", async () => {
    const c = await cluster("SINCESSE");
    push(c.feed, 0, 30);
    await until(() => c.seen().length === 30, "the edge saw 30");
    const client = await StreamReader.open(`${c.url}?since=10m&type=even.n`);
    const evens = () => c.seen().filter((e) => e.type === "even.n").map((e) => e.id);
    await client.until((r) => r.ids().length >= 15, "15 from the stream (the ring holds 5)");
    push(c.feed, 30, 40);
    await until(() => c.seen().length === 40, "the edge saw 40");
    await client.until((r) => r.ids().length >= 20, "5 live");
    expect(client.ids()).toEqual(evens());
    expect(client.frames.some((f) => f.event === "gap")).toBe(false);
    client.close();
    await c.stop();
  });

  it("since= a time: the events created at or after it, from the stream; with Last-Event-ID too, the id wins", async () => {
    const c = await cluster("SINCETIME");
    push(c.feed, 0, 10);
    await until(() => c.seen().length === 10, "10 seen");
    push(c.feed, 10, 30);
    await until(() => c.seen().length === 30, "30 seen");
    const t = c.seen()[10]!.createdAt;
    const wanted = c.seen().filter((e) => Date.parse(e.createdAt) >= Date.parse(t)).map((e) => e.id);
    const bySince = await StreamReader.open(`${c.url}?since=${encodeURIComponent(t)}`);
    await bySince.until((r) => r.ids().length >= wanted.length, "the events since t");
    const byId = await StreamReader.open(`${c.url}?since=10m`, { "last-event-id": c.seen()[20]!.id });
    await byId.until((r) => r.ids().length >= 9, "the events after the id");
    push(c.feed, 30, 31);
    await until(() => c.seen().length === 31, "31 seen");
    const last = c.seen()[30]!.id;
    await bySince.until((r) => r.ids().at(-1) === last, "the live one");
    await byId.until((r) => r.ids().at(-1) === last, "the live one");
    expect(bySince.ids()).toEqual([...wanted, last]);
    expect(byId.ids()).toEqual(c.seen().slice(21).map((e) => e.id));
    bySince.close();
    byId.close();
    await c.stop();
  });

  it("since= older than the stream's retention gets the gap frame, then everything retained", async () => {
    const jsm = await jetstreamManager(nats.nc);
    await jsm.streams.add({ name: "SHORTSINCE", subjects: ["shortsince.>"], storage: "memory" as never, max_msgs: 10 });
    const c = await cluster("SHORTSINCE", {}, "bus", null);
    for (let k = 0; k < 25; k += 5) {
      push(c.feed, k, k + 5);
      await until(() => c.seen().length === k + 5, `${k + 5} seen`);
    }
    const client = await StreamReader.open(`${c.url}?since=10m`);
    await client.until((r) => r.ids().length >= 10, "the retained 10");
    expect(client.frames.map((f) => f.event).slice(0, 2)).toEqual(["ping", "gap"]);
    expect(client.ids()).toEqual(c.seen().slice(15).map((e) => e.id));
    client.close();
    await c.stop();
  });

  it("since= on a stream whose messages since then were all removed gets the gap frame, then live ones", async () => {
    const jsm = await jetstreamManager(nats.nc);
    await jsm.streams.add({ name: "PURGED", subjects: ["purged.>"], storage: "memory" as never });
    const c = await cluster("PURGED", {}, "bus", null);
    push(c.feed, 0, 5);
    await until(() => c.seen().length === 5, "5 seen");
    await jsm.streams.purge("PURGED");
    const client = await StreamReader.open(`${c.url}?since=10m`);
    await client.until((r) => r.frames.some((f) => f.event === "gap"), "the gap frame");
    push(c.feed, 5, 6);
    await until(() => c.seen().length === 6, "6 seen");
    await client.until((r) => r.ids().length >= 1, "the live one");
    expect(client.frames.map((f) => f.event)).toEqual(["ping", "gap", "trace"]);
    expect(client.ids()).toEqual([c.seen()[5]!.id]);
    client.close();
    await c.stop();
  });
});

describe("resume on a node not connected to NATS yet", () => {
  it("waits for the connection and then serves exactly the events after the Last-Event-ID: no gap frame, no duplicate", async () => {
    const server = await NatsServer.start();
    try {
      const bus = { servers: [server.url], stream: "LATE" };
      const ingest = await startPipeline({
        sources: { in: { type: "feed", name: "LATE-in" } },
        sinks: { bus: { type: "nats", inputs: ["in"], ...bus, subject: "late.{type}", createStream: { storage: "file" } } },
      });
      push(feeds.get("LATE-in")!, 0, 20);
      await until(() => ingest.metrics.counter("sinks.bus.published").value === 20, "20 published");
      const nc = await connect({ servers: server.url });
      const created = (await (await jetstreamManager(nc)).streams.info("LATE")).created;
      await nc.close();
      const epoch = Date.parse(created.replace(/(\.\d{3})\d+/, "$1"));
      await ingest.pipeline.stop();
      await server.kill("SIGKILL");
      // The edge starts while NATS is down: its source retries in the background.
      const edge = await startPipeline({
        sources: { bus: { type: "nats", ...bus } },
        sinks: {
          live: { type: "sse", inputs: ["bus"], address: "127.0.0.1:0", replayEvents: 5, batchWindowMs: 5 },
          seen: { type: "collect", inputs: ["bus"], name: "LATE-seen" },
        },
      });
      const client = await StreamReader.open(`${sseUrl(edge)}/api/telemetry/traces/live`, { "last-event-id": `${epoch}-6` });
      await client.connected();
      await server.restart();
      await client.until((r) => r.ids().length >= 14, "the 14 after seq 6");
      expect(client.ids()).toEqual(Array.from({ length: 14 }, (_, k) => `${epoch}-${7 + k}`));
      expect(client.frames.some((f) => f.event === "gap")).toBe(false);
      client.close();
      await edge.pipeline.stop();
    } finally {
      await server.stop();
    }
  });
  it("HISTORY tells when JetStream stored an id of the stream (the reconnect grace of a ?token=), and nothing of other ids", async () => {
    const c = await cluster("STORED");
    const before = Date.now();
    push(c.feed, 0, 3);
    await until(() => c.seen().length === 3, "3 seen");
    const after = Date.now();
    const history = probes.get("STORED-probe")!;
    const [epoch, seq] = c.seen()[1]!.id.split("-");
    const at = await history.storedAt!(c.seen()[1]!.id);
    expect(typeof at).toBe("number");
    expect(at as number).toBeGreaterThanOrEqual(before - 1_000); // nats-server's clock, the same machine
    expect(at as number).toBeLessThanOrEqual(after + 1_000);
    expect(await history.storedAt!(`${epoch}-${Number(seq) + 1000}`)).toBe("missing");
    expect(await history.storedAt!(`${epoch}-0`)).toBe("missing");
    expect(await history.storedAt!(`${Number(epoch) + 1}-${seq}`)).toBeUndefined();
    expect(await history.storedAt!("garbage")).toBeUndefined();
    await c.stop();
  });
});

describe("edges sharing a durable consumer (a work split, not a live view of everything)", () => {
  it("a client moving to the other edge with Last-Event-ID gets every event of the stream after its id, then that edge's live share", async () => {
    const bus = { servers: [nats.server.url], stream: "SPLIT" };
    const ingest = await startPipeline({
      sources: { in: { type: "feed", name: "SPLIT-in" } },
      sinks: { bus: { type: "nats", inputs: ["in"], ...bus, subject: "split.{type}", createStream: { storage: "memory" } } },
    });
    const edge = (n: string) =>
      startPipeline({
        // Small pulls (maxPendingEvents bounds the pull size): one edge cannot take a whole burst.
        sources: { bus: { type: "nats", ...bus, durable: "edges", deliver: "all", maxPendingEvents: 4 } },
        sinks: {
          live: { type: "sse", inputs: ["bus"], address: "127.0.0.1:0", replayEvents: 5, batchWindowMs: 5 },
          seen: { type: "collect", inputs: ["bus"], name: `SPLIT-${n}` },
        },
      });
    const [a, b] = [await edge("a"), await edge("b")];
    const seen = (n: string) => collected.get(`SPLIT-${n}`) ?? [];
    const feed = feeds.get("SPLIT-in")!;
    const onA = await StreamReader.open(`${sseUrl(a)}/api/telemetry/traces/live`);
    await onA.connected();
    // Which edge gets which message is JetStream's choice (the pull requests waiting when it
    // arrives): feed rounds until both have some, at most 200 events.
    const taken = () => seen("a").length + seen("b").length;
    let sent = 0;
    while (sent < 200 && (seen("a").length === 0 || seen("b").length === 0)) {
      push(feed, sent, sent + 20);
      sent += 20;
      await until(() => taken() === sent, `${sent} split between the edges`);
    }
    expect(seen("a").length).toBeGreaterThan(0);
    expect(seen("b").length).toBeGreaterThan(0);
    await onA.until((r) => r.ids().length === seen("a").length, "A's share on A");
    expect(onA.ids()).toEqual(seen("a").map((e) => e.id)); // on A: only A's share
    const lastId = onA.ids().at(-1)!;
    await a.pipeline.stop();
    push(feed, sent, sent + 20);
    await until(() => taken() === sent + 20, "the rest on B");
    const onB = await StreamReader.open(`${sseUrl(b)}/api/telemetry/traces/live`, { "last-event-id": lastId });
    const after = (n: number) => [...seen("a"), ...seen("b")].map((e) => e.id).filter((id) => compareEventIds(id, lastId) > 0).sort(compareEventIds).slice(0, n);
    await onB.until((r) => r.ids().length === after(Infinity).length, "every event after the id");
    push(feed, sent + 20, sent + 30);
    await until(() => taken() === sent + 30, "all taken");
    // From JetStream: B's share since the id too (which A never showed), then B's live ones; no gap, no duplicate.
    await onB.until((r) => r.ids().length === after(Infinity).length, "and the live ones");
    expect(onB.ids()).toEqual(after(Infinity));
    const lastOnA = Number(onA.events().at(-1)!.data.i);
    expect(onB.events().map((e) => e.data.i)).toEqual(Array.from({ length: sent + 30 - 1 - lastOnA }, (_, k) => lastOnA + 1 + k));
    expect(onB.frames.some((f) => f.event === "gap" || f.event === "dropped")).toBe(false);
    onB.close();
    onA.close();
    await Promise.all([ingest.pipeline.stop(), b.pipeline.stop()]);
  });
});
