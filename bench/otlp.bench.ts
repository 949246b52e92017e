/**
 * OTLP source throughput over real HTTP on loopback: log records/s for OTLP/HTTP protobuf and
 * OTLP/JSON bodies of 512 records (an SDK BatchLogRecordProcessor's default batch), against the
 * webhook source taking the same 512 records as NDJSON, in the same run. Each source runs in
 * this process with a counting consumer standing in for a fast pipeline; the load comes from
 * `wrk` in its own process (`apt-get install wrk`).
 *
 * Bounded: BENCH_SECONDS (default 5) per case after a 1 s warm-up, BENCH_ROUNDS (default 3)
 * rounds of all cases interleaved, best round reported. BENCH_CASE=protobuf,json,ndjson selects.
 * Run: `npm run bench:otlp`.
 */
import "reflect-metadata";
import otlp, { type OtlpSource } from "../plugins/sources/otlp/index.js";
import { OtlpSchema } from "../plugins/sources/otlp/schema.js";
import webhook, { type WebhookSource } from "../plugins/sources/webhook/index.js";
import { ROUNDS, SECONDS, bestOfRounds, fmt, runBench, runWrk, startCountedSource, writePostScript } from "./wrk.js";

const RECORDS = 512;
const CONNECTIONS = 4;

interface Case {
  key: "protobuf" | "json" | "ndjson";
  name: string;
  contentType: string;
  body: Buffer;
  path: string;
}

/** A Stalwart-like log record: a message, five attributes, ids; one resource for the batch. */
function records(): { otlp: Record<string, unknown>; ndjson: string } {
  const logRecords = [];
  const lines = [];
  const t0 = 1_764_583_200_000_000_000n;
  for (let i = 0; i < RECORDS; i++) {
    const attrs = { "event.name": "smtp.connection-start", "remote.ip": `192.0.2.${i % 255}`, "local.port": 25, "listener.id": "smtp", "session.id": 1000 + i };
    logRecords.push({
      timeUnixNano: String(t0 + BigInt(i) * 1_000_000n),
      severityNumber: 9,
      body: { stringValue: `SMTP connection started from 192.0.2.${i % 255}` },
      attributes: Object.entries(attrs).map(([key, v]) => ({ key, value: typeof v === "number" ? { intValue: String(v) } : { stringValue: v } })),
      traceId: (i + 1).toString(16).padStart(32, "0"),
      spanId: (i + 1).toString(16).padStart(16, "0"),
    });
    lines.push(JSON.stringify({ type: "smtp.connection-start", text: `SMTP connection started from 192.0.2.${i % 255}`, remoteIp: `192.0.2.${i % 255}`, localPort: 25, listenerId: "smtp", sessionId: 1000 + i, severity: "info" }));
  }
  const resource = { attributes: [{ key: "service.name", value: { stringValue: "stalwart" } }, { key: "host.name", value: { stringValue: "mx1" } }] };
  return { otlp: { resourceLogs: [{ resource, scopeLogs: [{ scope: { name: "stalwart" }, logRecords }] }] }, ndjson: lines.join("\n") + "\n" };
}

function cases(): Case[] {
  const { otlp: request, ndjson } = records();
  const json = JSON.stringify(request);
  // The protobuf body: the same request through protobufjs (ids as bytes).
  const type = new OtlpSchema().signals.logs.request;
  const withBytes = JSON.parse(json, (k: string, v: unknown) => ((k === "traceId" || k === "spanId") && typeof v === "string" ? Buffer.from(v, "hex") : v)) as Record<string, unknown>;
  const protobuf = Buffer.from(type.encode(type.fromObject(withBytes)).finish());
  return [
    { key: "protobuf", name: `otlp, protobuf (${(protobuf.length / 1024).toFixed(0)} KiB)`, contentType: "application/x-protobuf", body: protobuf, path: "/v1/logs" },
    { key: "json", name: `otlp, OTLP/JSON (${(json.length / 1024).toFixed(0)} KiB)`, contentType: "application/json", body: Buffer.from(json), path: "/v1/logs" },
    { key: "ndjson", name: `webhook, NDJSON (${(ndjson.length / 1024).toFixed(0)} KiB)`, contentType: "application/x-ndjson", body: Buffer.from(ndjson), path: "" },
  ];
}

interface Target {
  url: string;
  taken(): number;
  close(): Promise<void>;
}

async function start(c: Case): Promise<Target> {
  // Room for several batches in flight, so the figure is ingest speed, not 429s.
  const options = { address: "127.0.0.1:0", maxPendingEvents: RECORDS * 16 };
  if (c.key === "ndjson") {
    const s = await startCountedSource<WebhookSource>(webhook, { ...options, maxBodyBytes: 4 * 1024 * 1024 });
    return { url: s.source.url()!, taken: s.taken, close: s.close };
  }
  const s = await startCountedSource<OtlpSource>(otlp, options);
  return { url: s.source.url()! + c.path, taken: s.taken, close: s.close };
}

interface Result {
  name: string;
  requestsPerSec: number;
  recordsPerSec: number;
  non2xx: number;
  latency: string;
  cpuUsPerRecord: number;
}

async function runCase(c: Case, dir: string): Promise<Result> {
  const target = await start(c);
  const script = writePostScript(dir, c.key, c.body, c.contentType);
  try {
    await runWrk(target.url, script, 1, CONNECTIONS);
    const before = target.taken();
    const started = process.hrtime.bigint();
    const cpu = process.cpuUsage();
    const r = await runWrk(target.url, script, SECONDS, CONNECTIONS);
    const d = process.cpuUsage(cpu);
    const secs = Number(process.hrtime.bigint() - started) / 1e9;
    const taken = target.taken() - before;
    return {
      name: c.name,
      requestsPerSec: r.requestsPerSec,
      recordsPerSec: taken / secs,
      non2xx: r.non2xx,
      latency: r.latency,
      cpuUsPerRecord: (d.user + d.system) / Math.max(1, taken),
    };
  } finally {
    await target.close();
  }
}

function print(r: Result): void {
  console.log(
    `${r.name.padEnd(30)} ${fmt(r.requestsPerSec)} req/s ${fmt(r.recordsPerSec)} records/s  non-2xx ${r.non2xx}  latency ${r.latency}` +
      `  CPU ${r.cpuUsPerRecord.toFixed(2)} µs/record (${fmt(1e6 / r.cpuUsPerRecord).trim()} records/s per core)`,
  );
}

runBench(() =>
  bestOfRounds({
    title: `otlp source vs webhook NDJSON: ${RECORDS} log records per request, ${ROUNDS} rounds x ${SECONDS}s, wrk -t1 -c${CONNECTIONS} on 127.0.0.1, node ${process.version}`,
    cases: cases(),
    run: runCase,
    print,
    score: (r) => r.recordsPerSec,
  }),
);
