import { describe, expect, it } from "vitest";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { ConfigError } from "../../../core/testing.js";
import { sharedNatsServer } from "../../../test/support/nats-server.js";
import { collected, feeds, startPipeline, until } from "../../../test/support/pipeline-run.js";

const nats = sharedNatsServer();

async function storedPayloads(stream: string): Promise<{ subject: string; json: Record<string, unknown> }[]> {
  const jsm = await jetstreamManager(nats.nc);
  const info = await jsm.streams.info(stream);
  const out: { subject: string; json: Record<string, unknown> }[] = [];
  for (let seq = info.state.first_seq; seq <= info.state.last_seq; seq++) {
    const m = await jsm.streams.getMessage(stream, { seq });
    if (m) out.push({ subject: m.subject, json: m.json() });
  }
  return out;
}

describe("nats sink", () => {
  it("creates the stream, publishes each event to its {type} subject and confirms it on the ack", async () => {
    const run = await startPipeline({
      sources: { in: { type: "feed", name: "sink-basic" } },
      sinks: { bus: { type: "nats", inputs: ["in"], servers: [nats.server.url], stream: "BASIC", subject: "t.{type}", createStream: { storage: "memory" } } },
    });
    const feed = feeds.get("sink-basic")!;
    feed.push([{ type: "a.one", data: { n: 1 } }, { type: "b.two", data: { n: 2 } }]);
    await until(() => feed.settledEvents === 2, "both events settled");
    const stored = await storedPayloads("BASIC");
    expect(stored.map((s) => s.subject)).toEqual(["t.a.one", "t.b.two"]);
    expect(stored[0]!.json).toMatchObject({ type: "a.one", data: { n: 1 } });
    expect(typeof stored[0]!.json.id).toBe("string");
    expect(feed.settled.every((s) => s.failed === 0 && s.lost === 0)).toBe(true);
    await run.pipeline.stop();
  });

  it("an existing stream that does not cover the subject is a startup problem naming createStream.subjects", async () => {
    const jsm = await jetstreamManager(nats.nc);
    await jsm.streams.add({ name: "OTHER", subjects: ["other.>"] });
    const err = await startPipeline({
      sources: { in: { type: "feed", name: "sink-other" } },
      sinks: { bus: { type: "nats", inputs: ["in"], servers: [nats.server.url], stream: "OTHER", subject: "livetap.events.{type}", createStream: {} } },
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    const problems = (err as ConfigError).problems.map((p) => `${p.path.join(".")}: ${p.message}`);
    expect(problems).toEqual([
      'sinks.bus.createStream.subjects: stream "OTHER" exists with subjects ["other.>"], which do not cover "livetap.events.>" (what "subject" "livetap.events.{type}" publishes): add "livetap.events.>" to the stream\'s subjects, or change "subject"',
    ]);
    const without = await startPipeline({
      sources: { in: { type: "feed", name: "sink-other2" } },
      sinks: { bus: { type: "nats", inputs: ["in"], servers: [nats.server.url], stream: "OTHER" } },
    }).catch((e: unknown) => e);
    expect((without as ConfigError).problems[0]!.path).toEqual(["sinks", "bus", "subject"]);
  });

  it("a missing stream without createStream is a problem at stream", async () => {
    const err = (await startPipeline({
      sources: { in: { type: "feed", name: "sink-missing" } },
      sinks: { bus: { type: "nats", inputs: ["in"], servers: [nats.server.url], stream: "NOPE" } },
    }).catch((e: unknown) => e)) as ConfigError;
    expect(err.problems.map((p) => p.path.join("."))).toEqual(["sinks.bus.stream"]);
    expect(err.problems[0]!.message).toContain('stream "NOPE" does not exist');
  });

  it("an event over the server's max payload is reported, counted and settled, not retried", async () => {
    const run = await startPipeline({
      sources: { in: { type: "feed", name: "sink-big" } },
      sinks: { bus: { type: "nats", inputs: ["in"], servers: [nats.server.url], stream: "BIG", subject: "big.{type}", createStream: { storage: "memory" } } },
    });
    const feed = feeds.get("sink-big")!;
    feed.push([{ type: "x.big", data: { blob: "x".repeat(2 * 1024 * 1024) } }, { type: "x.small", data: {} }]);
    await until(() => feed.settled.reduce((n, s) => n + s.events, 0) === 2, "settled");
    expect(run.metrics.counter("sinks.bus.oversized").value).toBe(1);
    expect(run.logs.some((l) => /over the server's max payload of 1048576/.test(l))).toBe(true);
    expect((await storedPayloads("BIG")).map((s) => s.subject)).toEqual(["big.x.small"]);
    await run.pipeline.stop();
  });
});

void collected;
void jetstream;
