/**
 * Scale-out as users see it (CONTRACT 8): real nats-server, real livetap processes from dist/,
 * syslog over TCP into ingest nodes, SSE clients on edge nodes.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import net from "node:net";
import { readFileSync, existsSync } from "node:fs";
import { join } from "node:path";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { jetstreamManager } from "@nats-io/jetstream";
import type { LiveEvent } from "../core/index.js";
import { livetap, tempDir, writeConfig, type Run } from "./cli/harness.js";
import { freePort, natsServerPerTest } from "./support/nats-server.js";
import { StreamReader } from "../plugins/sinks/sse/test-support.js";
import { until } from "./support/until.js";

// Registered before the processes' hook: vitest runs afterEach hooks in reverse order (its
// default `sequence.hooks: "stack"`), so the livetap processes are killed before their
// nats-servers stop.
const natsServer = natsServerPerTest();
const procs: Run[] = [];
afterEach(() => {
  for (const p of procs.splice(0)) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill("SIGKILL");
});

function start(config: unknown, args: string[] = []): Run {
  const dir = tempDir("livetap-cluster-");
  const file = writeConfig(dir, { dataDir: join(dir, "data"), ...(config as object) });
  const run = livetap(["run", "--config", file, "--log-format", "json", ...args]);
  procs.push(run);
  return run;
}

function ingestConfig(url: string, syslogPort: number, extra: Record<string, unknown> = {}) {
  return {
    sources: { syslog: { type: "syslog", mode: "tcp", address: `127.0.0.1:${syslogPort}` } },
    sinks: {
      bus: { type: "nats", inputs: ["syslog"], servers: [url], stream: "LIVETAP", subject: "livetap.events.{type}", createStream: { subjects: ["livetap.events.>"], storage: "file" }, ...extra },
    },
  };
}

function edgeConfig(url: string, ssePort: number, sse: Record<string, unknown> = {}, operators?: Record<string, unknown>, input = "bus") {
  return {
    sources: { bus: { type: "nats", servers: [url], stream: "LIVETAP", filterSubject: "livetap.events.>" } },
    ...(operators ? { operators } : {}),
    sinks: { live: { type: "sse", inputs: [input], address: `127.0.0.1:${ssePort}`, batchWindowMs: 10, ...sse } },
  };
}

/** A TCP syslog client: RFC 5424 lines, newline framed. */
async function syslogClient(port: number): Promise<{ send(lines: string[]): Promise<void>; close(): void }> {
  const socket = await new Promise<net.Socket>((resolve, reject) => {
    const s = net.connect(port, "127.0.0.1", () => resolve(s));
    s.once("error", reject);
  });
  return {
    send: (messages) =>
      new Promise((resolve) => {
        const text = messages.map((m) => `<13>1 2026-12-01T10:00:00.000Z host app - - - ${m}\n`).join("");
        if (socket.write(text)) resolve();
        else socket.once("drain", () => resolve());
      }),
    close: () => socket.end(),
  };
}

async function waitReady(run: Run, what: RegExp | string): Promise<void> {
  await run.waitFor(what, 90_000, "stderr");
}

const messages = (r: StreamReader) => r.events().map((e) => (e.data as { message?: string }).message!);
const range = (from: number, to: number, prefix = "line") => Array.from({ length: to - from }, (_, i) => `${prefix} ${from + i}`);

// Up to five livetap processes start per test: on a busy 2-core machine that alone takes seconds.
describe("livetap cluster on NATS JetStream", { timeout: 180_000 }, () => {
  it("2 ingest + 2 edge: every line reaches a client of each edge exactly once, with the same id on both", async () => {
    const nats = await natsServer();
    const [s1, s2, e1, e2] = await Promise.all([freePort(), freePort(), freePort(), freePort()]);
    const ingest = [start(ingestConfig(nats.url, s1)), start(ingestConfig(nats.url, s2))];
    const edges = [start(edgeConfig(nats.url, e1)), start(edgeConfig(nats.url, e2))];
    await Promise.all([...ingest, ...edges].map((r) => waitReady(r, "press Ctrl-C to stop")));
    const clients = await Promise.all([e1, e2].map((p) => StreamReader.open(`http://127.0.0.1:${p}/api/telemetry/traces/live`)));
    await Promise.all(clients.map((c) => c.connected()));
    const senders = await Promise.all([s1, s2].map((p) => syslogClient(p)));
    const sent = range(0, 400);
    for (let i = 0; i < sent.length; i += 50) await senders[(i / 50) % 2]!.send(sent.slice(i, i + 50));
    for (const c of clients) await c.until((r) => r.events().length >= 400, "400 events", 20_000);
    for (const c of clients) expect([...messages(c)].sort()).toEqual([...sent].sort());
    expect(clients[0]!.ids()).toEqual(clients[1]!.ids());
    expect(new Set(clients[0]!.ids()).size).toBe(400);
    for (const s of senders) s.close();
    for (const c of clients) c.close();
  });

  it("kill -9 of the edge a client is on: it resumes on the other with Last-Event-ID, missing nothing, even past the other's small ring", async () => {
    const nats = await natsServer();
    const [s1, e1, e2] = await Promise.all([freePort(), freePort(), freePort()]);
    const ingest = start(ingestConfig(nats.url, s1));
    const edgeA = start(edgeConfig(nats.url, e1));
    const edgeB = start(edgeConfig(nats.url, e2, { replayEvents: 10 }));
    await Promise.all([ingest, edgeA, edgeB].map((r) => waitReady(r, "press Ctrl-C to stop")));
    const onA = await StreamReader.open(`http://127.0.0.1:${e1}/api/telemetry/traces/live`);
    await onA.connected();
    const sender = await syslogClient(s1);
    await sender.send(range(0, 100));
    await onA.until((r) => r.events().length >= 100, "100 on A");
    const lastId = onA.frames.filter((f) => f.id !== undefined).at(-1)!.id!;

    edgeA.child.kill("SIGKILL");
    await edgeA.exited;
    await sender.send(range(100, 400)); // missed: 300, far more than B's ring of 10
    const onB = await StreamReader.open(`http://127.0.0.1:${e2}/api/telemetry/traces/live`, { "last-event-id": lastId });
    await onB.until((r) => r.events().length >= 300, "300 replayed", 20_000);
    await sender.send(range(400, 450));
    await onB.until((r) => r.events().length >= 350, "50 live", 20_000);
    const union = [...messages(onA), ...messages(onB)];
    expect(union).toEqual(range(0, 450));
    expect(onB.frames.some((f) => f.event === "gap")).toBe(false);
    sender.close();
    onB.close();
  });

  it("kill -9 with ?token= past its ttl: the client resumes on the other edge (shared tokenKey); an id the stream stored before the token is refused", async () => {
    const nats = await natsServer();
    const [s1, e1, e2] = await Promise.all([freePort(), freePort(), freePort()]);
    const ingest = start(ingestConfig(nats.url, s1));
    await waitReady(ingest, "press Ctrl-C to stop");
    const sender = await syslogClient(s1);
    // Stored well before the token below (more than the 60 s batch allowance): its id must not revive the token.
    await sender.send(["before the token"]);
    const nc = await connect({ servers: nats.url });
    const jsm = await jetstreamManager(nc);
    await until(async () => (await jsm.streams.info("LIVETAP").catch(() => undefined))?.state.messages === 1, "the first line stored");
    const info = await jsm.streams.info("LIVETAP");
    const storedBefore = (await jsm.streams.getMessage("LIVETAP", { seq: 1 }))!.time.getTime();
    const oldId = `${Date.parse(info.created.replace(/(\.\d{3})\d+/, "$1"))}-1`;
    await nc.close();

    const auth = { bearer: ["edge-bearer-0123456789"], tokenKey: "shared-token-key-0123456789-0123456789", tokenTtlSeconds: 1 };
    const edgeA = start(edgeConfig(nats.url, e1, { auth }));
    const edgeB = start(edgeConfig(nats.url, e2, { auth, replayEvents: 10 }));
    await Promise.all([edgeA, edgeB].map((r) => waitReady(r, "press Ctrl-C to stop")));
    await new Promise((r) => setTimeout(r, Math.max(0, storedBefore + 61_000 - Date.now())));

    const tokenRes = await fetch(`http://127.0.0.1:${e1}/api/telemetry/live/tracing-token`, { headers: { authorization: `Bearer ${auth.bearer[0]}` } });
    const token = ((await tokenRes.json()) as { data: string }).data;
    const tracesOn = (port: number) => `http://127.0.0.1:${port}/api/telemetry/traces/live?token=${encodeURIComponent(token)}`;
    const onA = await StreamReader.open(tracesOn(e1));
    expect(onA.status).toBe(200);
    await onA.connected();
    await sender.send(range(0, 100));
    await onA.until((r) => r.events().length >= 100, "100 on A");
    const lastId = onA.frames.filter((f) => f.id !== undefined).at(-1)!.id!;
    expect(lastId).toMatch(new RegExp(`^${oldId.split("-")[0]}-\\d+$`));

    // Past the ttl: the token alone opens nothing any more (on either edge).
    await until(async () => {
      const res = await fetch(tracesOn(e2));
      await res.body?.cancel(); // a stream that still opened: closed at once
      return res.status === 401;
    }, "the token to expire", 20_000, 100);
    edgeA.child.kill("SIGKILL");
    await edgeA.exited;
    await sender.send(range(100, 400));
    const onB = await StreamReader.open(tracesOn(e2), { "last-event-id": lastId });
    expect(onB.status).toBe(200);
    await onB.until((r) => r.events().length >= 300, "300 replayed", 20_000);
    await sender.send(range(400, 450));
    await onB.until((r) => r.events().length >= 350, "50 live", 20_000);
    expect([...messages(onA), ...messages(onB)]).toEqual(range(0, 450));
    expect(onB.frames.some((f) => f.event === "gap")).toBe(false);

    const refused = await fetch(tracesOn(e2), { headers: { "last-event-id": oldId } });
    expect(refused.status).toBe(401);
    expect(((await refused.json()) as { details: string }).details).toMatch(
      /^token expired: .*the reconnect grace does not apply: Last-Event-ID is older than the token \(the stream stored that event before the token was issued\)/,
    );
    const unknown = await fetch(tracesOn(e2), { headers: { "last-event-id": `${oldId.split("-")[0]}-99999` } });
    expect(unknown.status).toBe(401);
    expect(((await unknown.json()) as { details: string }).details).toMatch(/Last-Event-ID names no event the stream holds/);
    sender.close();
    onB.close();
  });

  it("nats-server killed and restarted during ingest (file storage): nothing is lost", async () => {
    const nats = await natsServer();
    const s1 = await freePort();
    const ingest = start(ingestConfig(nats.url, s1));
    await waitReady(ingest, "press Ctrl-C to stop");
    const sender = await syslogClient(s1);
    await sender.send(range(0, 300));
    await nats.kill("SIGKILL");
    await sender.send(range(300, 600)); // the ingest node holds these (bounded) until the server is back
    await ingest.waitFor(/lost the connection|not acknowledged/, 20_000, "stderr");
    await nats.restart();
    await sender.send(range(600, 900));
    const nc = await connect({ servers: nats.url });
    try {
      const got = await waitForStream(nc, "LIVETAP", 900);
      expect(new Set(got)).toEqual(new Set(range(0, 900)));
      expect(got.length).toBe(900); // the retries carry the same message id: stored once
    } finally {
      await nc.close();
      sender.close();
    }
  });

  it("nats-server unreachable at start: validate reports it, run names component and server and retries until it is up", async () => {
    const port = await freePort();
    const s1 = await freePort();
    const url = `nats://127.0.0.1:${port}`;
    const dir = tempDir();
    const file = writeConfig(dir, { dataDir: join(dir, "d"), ...ingestConfig(url, s1) });
    const validate = livetap(["validate", "--config", file]);
    expect(await validate.exited).toBe(1);
    expect(validate.stderr()).toContain(`sinks.bus.servers: cannot reach ${url} (connection refused)`);

    const run = start(ingestConfig(url, s1));
    await run.waitFor(`sinks.bus cannot reach ${url} (connection refused)`, 20_000, "stderr");
    await natsServer([], port);
    await run.waitFor(`sinks.bus connected to 127.0.0.1:${port}`, 20_000, "stderr");
    expect(run.child.exitCode).toBeNull();
  });

  it("wrong credentials: a startup problem at <component>.auth, the secret not echoed", async () => {
    const nats = await natsServer(["--user", "ingest", "--pass", "right-password"]);
    const s1 = await freePort();
    const run = start(ingestConfig(nats.url, s1, { auth: { user: "ingest", password: "wrong-password" } }));
    expect(await run.exited).toBe(1);
    expect(run.stderr()).toMatch(/sinks\.bus\.auth: nats:\/\/127\.0\.0\.1:\d+ refused these credentials/);
    expect(run.stderr()).not.toContain("wrong-password");
    const edge = start(edgeConfig(nats.url, await freePort()));
    expect(await edge.exited).toBe(1);
    expect(edge.stderr()).toMatch(/sources\.bus\.auth: nats:\/\/127\.0\.0\.1:\d+ requires credentials: set "auth"/);
  });

  it("a stream that does not cover the subjects: a problem naming it", async () => {
    const nats = await natsServer();
    const nc = await connect({ servers: nats.url });
    await (await jetstreamManager(nc)).streams.add({ name: "LIVETAP", subjects: ["elsewhere.>"] });
    await nc.close();
    const run = start(ingestConfig(nats.url, await freePort()));
    expect(await run.exited).toBe(1);
    expect(run.stderr()).toContain('sinks.bus.createStream.subjects: stream "LIVETAP" exists with subjects ["elsewhere.>"], which do not cover "livetap.events.>"');
  });

  it("two edges with keyed sample and the same hashSeed keep the same keys", async () => {
    const nats = await natsServer();
    const [s1, e1, e2] = await Promise.all([freePort(), freePort(), freePort()]);
    const sample = { some: { type: "sample", inputs: ["bus"], rate: 4, key: "message", hashSeed: 7 } };
    const ingest = start(ingestConfig(nats.url, s1));
    const edges = [start(edgeConfig(nats.url, e1, {}, sample, "some")), start(edgeConfig(nats.url, e2, {}, sample, "some"))];
    await Promise.all([ingest, ...edges].map((r) => waitReady(r, "press Ctrl-C to stop")));
    const clients = await Promise.all([e1, e2].map((p) => StreamReader.open(`http://127.0.0.1:${p}/api/telemetry/traces/live`)));
    await Promise.all(clients.map((c) => c.connected()));
    const sender = await syslogClient(s1);
    await sender.send([...range(0, 400), "end marker"]);
    // Which lines pass is decided by the hash: wait until each edge took all 401 and its client got
    // every line the sample passed (sent lags received by up to a batch window, so compare with that).
    for (const [i, port] of [e1, e2].entries()) {
      await until(async () => {
        const m = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
        const count = (name: string) => Number(new RegExp(`^${name} (\\d+)`, "m").exec(m)?.[1]);
        const passed = count("events_received_total") - count("operators_some_dropped_total");
        return count("events_received_total") === 401 && count("sse_events_sent_total") === passed && clients[i]!.events().length === passed;
      }, `edge ${i + 1} to take all 401 lines and send what its sample passed`, 20_000, 50);
    }
    const a = messages(clients[0]!);
    expect(a.length).toBeGreaterThan(40);
    expect(a.length).toBeLessThan(200);
    expect(messages(clients[1]!)).toEqual(a);
    sender.close();
    for (const c of clients) c.close();
  });

  it("a durable consumer shared by two nodes: every event processed once by one of them", async () => {
    const nats = await natsServer();
    const s1 = await freePort();
    const ingest = start(ingestConfig(nats.url, s1));
    const outDir = tempDir("livetap-split-");
    const worker = (n: number) =>
      start({
        sources: { bus: { type: "nats", servers: [nats.url], stream: "LIVETAP", durable: "archive", deliver: "all" } },
        sinks: { out: { type: "file", inputs: ["bus"], path: join(outDir, `w${n}.jsonl`) } },
      });
    await waitReady(ingest, "press Ctrl-C to stop");
    const workers = [worker(1), worker(2)];
    await Promise.all(workers.map((w) => waitReady(w, "press Ctrl-C to stop")));
    const sender = await syslogClient(s1);
    await sender.send(range(0, 1000));
    const lines = () =>
      [1, 2].flatMap((n) => {
        const f = join(outDir, `w${n}.jsonl`);
        return existsSync(f) ? readFileSync(f, "utf8").split("\n").filter(Boolean).map((l) => ({ n, e: JSON.parse(l) as LiveEvent })) : [];
      });
    await until(() => lines().length >= 1000, "1000 lines", 20_000, 50);
    const all = lines();
    expect(all.map((l) => (l.e.data as { message: string }).message).sort()).toEqual(range(0, 1000).sort());
    expect(new Set(all.map((l) => l.e.id)).size).toBe(1000);
    expect(all.some((l) => l.n === 1) && all.some((l) => l.n === 2)).toBe(true);
    sender.close();
  });

  it("kill -9 of a node of a durable split: its unacked events are redelivered to the other (at-least-once)", async () => {
    const nats = await natsServer();
    const s1 = await freePort();
    const ingest = start(ingestConfig(nats.url, s1));
    const outDir = tempDir("livetap-crash-");
    const worker = (n: number) =>
      start({
        sources: { bus: { type: "nats", servers: [nats.url], stream: "LIVETAP", durable: "archive", deliver: "all", ackWaitMs: 2000 } },
        sinks: { out: { type: "file", inputs: ["bus"], path: join(outDir, `w${n}.jsonl`) } },
      });
    await waitReady(ingest, "press Ctrl-C to stop");
    const workers = [worker(1), worker(2)];
    await Promise.all(workers.map((w) => waitReady(w, "press Ctrl-C to stop")));
    const read = (n: number) => {
      const f = join(outDir, `w${n}.jsonl`);
      return existsSync(f) ? readFileSync(f, "utf8").split("\n").filter(Boolean).map((l) => (JSON.parse(l) as LiveEvent).data.message as string) : [];
    };
    const sender = await syslogClient(s1);
    const sending = (async () => {
      for (let i = 0; i < 3000; i += 100) await sender.send(range(i, i + 100));
    })();
    await until(() => read(1).length > 100, "node 1 to process 100", 20_000, 50);
    workers[0]!.child.kill("SIGKILL");
    await sending;
    await until(() => new Set([...read(1), ...read(2)]).size >= 3000, "3000 distinct events", 30_000, 50);
    expect(new Set([...read(1), ...read(2)])).toEqual(new Set(range(0, 3000)));
    sender.close();
  });
});

/** The `data.message` of every stored event, once the stream holds at least `n`. */
async function waitForStream(nc: NatsConnection, stream: string, n: number): Promise<string[]> {
  const jsm = await jetstreamManager(nc);
  for (let i = 0; i < 400; i++) {
    const info = await jsm.streams.info(stream);
    if (info.state.messages >= n) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  const info = await jsm.streams.info(stream);
  const out: string[] = [];
  for (let seq = info.state.first_seq; seq <= info.state.last_seq; seq++) {
    const m = await jsm.streams.getMessage(stream, { seq });
    if (m) out.push((m.json() as LiveEvent).data.message as string);
  }
  return out;
}

beforeAll(() => undefined);
afterAll(() => undefined);
