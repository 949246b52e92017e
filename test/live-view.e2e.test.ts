import { EventSource } from "eventsource";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ComponentStats, LiveEvent } from "../core/index.js";
import { freePort } from "../core/testing.js";
import { livetap, tempDir, writeConfig, type Run } from "./cli/harness.js";

// CONTRACT 9 end to end: a real `livetap run` (demo -> filter -> sse), real clients and real
// `livetap tap` / `livetap top` processes.

let server: Run;
let base: string;

beforeAll(async () => {
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  const config = writeConfig(tempDir(), {
    sources: { demo: { type: "demo", rate: 300, seed: 7 } },
    operators: { "smtp-only": { type: "filter", inputs: ["demo"], include: { type: "smtp.*" } } },
    sinks: { live: { type: "sse", inputs: ["smtp-only"], address: `127.0.0.1:${port}`, batchWindowMs: 20 } },
  });
  server = livetap(["run", "--config", config]);
  await server.waitFor("press Ctrl-C to stop", 20_000, "stderr");
}, 30_000);

afterAll(async () => {
  server.child.kill("SIGTERM");
  expect(await server.exited).toBe(0);
});

/** The events of the first `trace` frames of a stream until `enough` holds. */
async function collect(url: string, enough: (events: LiveEvent[]) => boolean): Promise<LiveEvent[]> {
  const es = new EventSource(url);
  const events: LiveEvent[] = [];
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out on ${url} with ${events.length} events`)), 15_000);
      es.addEventListener("trace", (m) => {
        events.push(...(JSON.parse(m.data) as LiveEvent[]));
        if (enough(events)) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
  } finally {
    es.close();
  }
  return events;
}

describe("outputs-of and /api/pipeline on a running pipeline", () => {
  it("outputs-of=sources.demo shows what the filter keeps out of the sink; the bare name of the operator shows what it lets through", async () => {
    const ofSource = await collect(`${base}/api/telemetry/traces/live?outputs-of=sources.demo`, (es) => es.some((e) => !e.type.startsWith("smtp.")));
    expect(ofSource.some((e) => !e.type.startsWith("smtp."))).toBe(true);
    const ofOperator = await collect(`${base}/api/telemetry/traces/live?outputs-of=smtp-only`, (es) => es.length >= 20);
    expect(ofOperator.every((e) => e.type.startsWith("smtp."))).toBe(true);
    // With the same filters as any stream.
    const filtered = await collect(`${base}/api/telemetry/traces/live?outputs-of=demo&type=imap.*`, (es) => es.length >= 3);
    expect(filtered.every((e) => e.type.startsWith("imap."))).toBe(true);
  });

  it("an unknown component is a 400 with the known names", async () => {
    const res = await fetch(`${base}/api/telemetry/traces/live?outputs-of=operators.nope`);
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ error: "invalid parameter outputs-of", details: 'no component "operators.nope" to tap; known: sources.demo, operators.smtp-only' });
  });

  it("GET /api/pipeline lists the components with kinds, types, inputs and live counters", async () => {
    const body = (await (await fetch(`${base}/api/pipeline`)).json()) as { components: ComponentStats[]; tappable: string[] };
    expect(body.tappable).toEqual(["sources.demo", "operators.smtp-only"]);
    expect(body.components.map(({ name, kind, type, inputs }) => ({ name, kind, type, inputs }))).toEqual([
      { name: "demo", kind: "source", type: "demo", inputs: [] },
      { name: "smtp-only", kind: "operator", type: "filter", inputs: ["demo"] },
      { name: "live", kind: "sink", type: "sse", inputs: ["smtp-only"] },
    ]);
    const [demo, filter, sink] = body.components;
    expect(demo.eventsOut).toBeGreaterThan(0);
    expect(filter.eventsIn).toBeGreaterThan(filter.eventsOut);
    expect(filter.dropped).toBeGreaterThan(0);
    expect(sink.eventsIn).toBeGreaterThan(0);
    expect(sink.eventsIn).toBeLessThanOrEqual(filter.eventsOut);
  });
});

describe("livetap tap and livetap top", () => {
  const lines = (run: Run) =>
    run
      .stdout()
      .split("\n")
      .filter((l) => l !== "")
      .map((l) => JSON.parse(l) as LiveEvent);

  it("tap --outputs-of prints a component's output the sink never gets", async () => {
    const tap = livetap(["tap", base, "--outputs-of", "demo", "--type", "imap.*"]);
    await tap.waitFor(/(.*\n){3}/, 20_000, "stdout");
    tap.child.kill("SIGINT");
    expect(await tap.exited).toBe(0);
    expect(lines(tap).every((e) => e.type.startsWith("imap."))).toBe(true);
    expect(tap.stderr()).toContain("outputs-of=demo");
  });

  it("tap --follow sessionId --since 5m: the whole session after its first matching event, retained ones first", async () => {
    const tap = livetap(["tap", base, "--type", "smtp.connection-start", "--follow", "sessionId", "--since", "5m"]);
    await tap.waitFor(/(.*\n){40}/, 20_000, "stdout");
    tap.child.kill("SIGINT");
    expect(await tap.exited).toBe(0);
    const events = lines(tap);
    const started = new Set<unknown>();
    for (const e of events) {
      if (e.type === "smtp.connection-start") started.add(e.data.sessionId);
      else expect(started.has(e.data.sessionId), `${e.type} of a session not started`).toBe(true);
    }
    expect(events.some((e) => e.type !== "smtp.connection-start")).toBe(true);
  });

  it("top --by remoteIp prints plain lines when piped", async () => {
    const top = livetap(["top", base, "--by", "remoteIp", "--top", "3", "--interval", "1"]);
    await top.waitFor(/top remoteIp, last 60 s: [1-9]\d* events\n(\s+\d+  \S+\n){3}/, 20_000, "stdout");
    top.child.kill("SIGINT");
    expect(await top.exited).toBe(0);
    expect(top.stdout()).not.toContain("\x1b[");
  });

  it("top without --by is a usage error", async () => {
    const top = livetap(["top", base]);
    expect(await top.exited).not.toBe(0);
    expect(top.stderr()).toContain("--by FIELD is required");
  });
});
