/**
 * AckPublisher against a real nats-server: acks told from their bytes (the usual shape) or by
 * JSON.parse (errors), the Nats-Msg-Id header block it encodes itself (JetStream stores a
 * resend once), and timeouts found by the sweep on the injected scheduler (TestScheduler).
 */
import { describe, expect, it } from "vitest";
import { asyncScheduler } from "rxjs";
import { TestScheduler } from "rxjs/testing";
import { jetstreamManager } from "@nats-io/jetstream";
import { sharedNatsServer } from "../../../test/support/nats-server.js";
import { until } from "../../../test/support/until.js";
import { AckPublisher, type PublishOutcome } from "./publisher.js";

const nats = sharedNatsServer();

function recorder() {
  const outcomes = new Map<string, PublishOutcome>();
  return { outcomes, settle: (token: string, o: PublishOutcome) => void outcomes.set(token, o) };
}

describe("AckPublisher", () => {
  it("confirms each publish on its PubAck, sends Nats-Msg-Id so a resend is stored once, and reads error acks", async () => {
    const jsm = await jetstreamManager(nats.nc);
    await jsm.streams.add({ name: "PUBT", subjects: ["pubt.>"], storage: "memory" as never, max_msg_size: 200 });
    await jsm.streams.add({ name: "error-named", subjects: ["errs.>"], storage: "memory" as never });
    const r = recorder();
    const p = new AckPublisher<string>(nats.nc, 5_000, asyncScheduler, r.settle);
    p.publish("pubt.a", '{"n":1,"text":"é ü"}', "node1.1", "one");
    p.publish("pubt.a", '{"n":2}', "node1.2", "two");
    p.publish("pubt.a", '{"n":1,"text":"é ü"}', "node1.1", "one again");
    p.publish("pubt.a", JSON.stringify({ n: 3, pad: "x".repeat(300) }), "node1.3", "too big");
    p.publish("errs.a", '{"n":4}', "node1.4", "stream named error");
    await until(() => r.outcomes.size === 5, "5 acks");
    expect(Object.fromEntries(r.outcomes)).toEqual({
      one: { ok: true },
      two: { ok: true },
      "one again": { ok: true },
      "too big": { ok: false, retry: false, error: expect.stringMatching(/message size exceeds maximum/) },
      "stream named error": { ok: true },
    });
    expect(p.size).toBe(0);
    const info = await jsm.streams.info("PUBT");
    expect(info.state.messages).toBe(2); // the resend of node1.1 is a duplicate
    const first = (await jsm.streams.getMessage("PUBT", { seq: 1 }))!;
    expect(first.header.get("Nats-Msg-Id")).toBe("node1.1");
    expect(first.json()).toEqual({ n: 1, text: "é ü" });
    p.close();
  });

  it("settles a publish nobody acks as retriable once the timeout passed, by the sweep on the scheduler", async () => {
    const ts = new TestScheduler((a, b) => expect(a).toEqual(b));
    // A plain subscriber takes the message and never answers: no ack, no "no responders" either.
    const swallow = nats.nc.subscribe("swallowed.>");
    const r = recorder();
    const p = new AckPublisher<string>(nats.nc, 1_000, ts, r.settle);
    p.publish("swallowed.a", "{}", "m.1", "early");
    ts.maxFrames = 600;
    ts.flush(); // sweeps at 250, 500: marks only
    p.publish("swallowed.a", "{}", "m.2", "late");
    await nats.nc.flush();
    ts.maxFrames = 1_250;
    ts.flush(); // the sweep at 1250 finds the mark of 0 older than 1000 ms: "early" only
    expect([...r.outcomes.keys()]).toEqual(["early"]);
    expect(r.outcomes.get("early")).toEqual({ ok: false, retry: true, error: "no ack within 1000 ms" });
    ts.maxFrames = 2_000;
    ts.flush();
    expect([...r.outcomes.keys()]).toEqual(["early", "late"]);
    expect(p.close()).toEqual([]);
    swallow.unsubscribe();
  });
});
