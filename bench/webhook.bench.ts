/**
 * Webhook source throughput over real HTTP on loopback: requests/s and events/s for small JSON
 * posts and for 1 MiB NDJSON batches, next to a bare fastify route (the machine's ceiling for
 * the same load). The source runs in this process (one core: Node's main thread) with a
 * counting consumer standing in for a fast pipeline; the load comes from `wrk` in its own
 * process (`apt-get install wrk`).
 *
 * Bounded: BENCH_SECONDS (default 5) per case after a 1 s warm-up, BENCH_ROUNDS (default 3)
 * rounds of all cases interleaved, best round reported (neighbours on a shared machine only
 * ever make a round slower). BENCH_CASE=baseline,json (any of baseline, json, ndjson) selects cases.
 * Run: `npm run build && node dist-test/bench/webhook.bench.js`.
 */
import "reflect-metadata";
import Fastify from "fastify";
import webhook, { type WebhookSource } from "../plugins/sources/webhook/index.js";
import { ROUNDS, SECONDS, bestOfRounds, fmt, runBench, runWrk, startCountedSource, writePostScript } from "./wrk.js";

const MIB = 1024 * 1024;

interface Case {
  key: "baseline" | "json" | "ndjson";
  name: string;
  contentType: string;
  body: string;
  connections: number;
  options: Record<string, unknown>;
}

interface Result {
  name: string;
  requestsPerSec: number;
  eventsPerSec: number;
  takenPerSec: number;
  non2xx: number;
  latency: string;
  cpuUsPerRequest: number;
}

const SMALL = JSON.stringify({ type: "app.login", user: "ops", remoteIp: "192.0.2.7", ok: true, n: 1 });

function cases(): Case[] {
  const lines: string[] = [];
  let size = 0;
  for (let i = 0; ; i++) {
    const line = JSON.stringify({ type: "smtp.connection-start", remoteIp: `192.0.2.${i % 255}`, domain: "example.org", size: 1000 + i, listenerId: "smtp" });
    if (size + line.length + 1 > MIB) break;
    lines.push(line);
    size += line.length + 1;
  }
  return [
    { key: "baseline", name: "bare fastify route, small JSON", contentType: "application/json", body: SMALL, connections: 64, options: {} },
    { key: "json", name: `webhook, small JSON (${SMALL.length} B)`, contentType: "application/json", body: SMALL, connections: 64, options: {} },
    {
      key: "ndjson",
      name: `webhook, 1 MiB NDJSON (${lines.length} ev)`,
      contentType: "application/x-ndjson",
      body: lines.join("\n") + "\n",
      connections: 4,
      // Room for a few batches in flight, so the figure is ingest speed, not 429s.
      options: { maxPendingEvents: lines.length * 8 },
    },
  ];
}

/** A server under test: its URL, and counters read before and after the measured run. */
interface Target {
  url: string;
  requests(): number;
  events(): number;
  taken(): number;
  close(): Promise<void>;
}

async function bareFastify(): Promise<Target> {
  const app = Fastify({ logger: false });
  let requests = 0;
  app.post("/ingest", async () => (requests++, { accepted: 1 }));
  await app.listen({ host: "127.0.0.1", port: 0 });
  const { port } = app.server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}/ingest`, requests: () => requests, events: () => 0, taken: () => 0, close: () => app.close() };
}

async function webhookSource(options: Record<string, unknown>): Promise<Target> {
  const s = await startCountedSource<WebhookSource>(webhook, { address: "127.0.0.1:0", ...options });
  const counter = (id: string): number => s.services.metrics.counter(id).value;
  return { url: s.source.url()!, requests: () => counter("webhook.requests"), events: () => counter("webhook.events"), taken: s.taken, close: s.close };
}

async function runCase(c: Case, dir: string): Promise<Result> {
  const target = c.key === "baseline" ? await bareFastify() : await webhookSource(c.options);
  const script = writePostScript(dir, c.key, c.body, c.contentType);
  try {
    await runWrk(target.url, script, 1, c.connections); // warm-up: JIT, connections
    const before = { requests: target.requests(), events: target.events(), taken: target.taken() };
    const started = process.hrtime.bigint();
    const cpu = process.cpuUsage();
    const r = await runWrk(target.url, script, SECONDS, c.connections);
    const d = process.cpuUsage(cpu);
    const secs = Number(process.hrtime.bigint() - started) / 1e9;
    const requests = target.requests() - before.requests;
    return {
      name: c.name,
      requestsPerSec: r.requestsPerSec,
      eventsPerSec: (target.events() - before.events) / secs,
      takenPerSec: (target.taken() - before.taken) / secs,
      non2xx: r.non2xx,
      latency: r.latency,
      // The whole process's CPU (GC threads included): on a shared machine wall-clock rates
      // depend on the neighbours, this much less.
      cpuUsPerRequest: (d.user + d.system) / Math.max(1, requests),
    };
  } finally {
    await target.close();
  }
}

function print(r: Result): void {
  console.log(
    `${r.name.padEnd(38)} ${fmt(r.requestsPerSec)} req/s ${fmt(r.eventsPerSec)} ev/s accepted ${fmt(r.takenPerSec)} ev/s taken` +
      `  non-2xx ${r.non2xx}  latency ${r.latency}  CPU ${r.cpuUsPerRequest.toFixed(1)} µs/req (${fmt(1e6 / r.cpuUsPerRequest).trim()} req/s per core)`,
  );
}

runBench(() =>
  bestOfRounds({
    title: `webhook source: ${ROUNDS} rounds x ${SECONDS}s per case, wrk -t1 on 127.0.0.1, node ${process.version}`,
    cases: cases(),
    run: runCase,
    print,
    score: (r) => r.requestsPerSec,
  }),
);
