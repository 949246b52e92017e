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
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Subscription } from "rxjs";
import Fastify from "fastify";
import { createPlugin, type Services } from "../core/testing.js";
import webhook, { type WebhookSource } from "../plugins/sources/webhook/index.js";

const SECONDS = Math.min(60, Math.max(1, Number(process.env.BENCH_SECONDS ?? 5)));
const ROUNDS = Math.min(10, Math.max(1, Number(process.env.BENCH_ROUNDS ?? 3)));
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

interface WrkResult {
  requestsPerSec: number;
  non2xx: number;
  latency: string;
}

function runWrk(url: string, script: string, seconds: number, connections: number): Promise<WrkResult> {
  return new Promise((resolve, reject) => {
    const wrk = spawn("wrk", ["-t1", `-c${connections}`, `-d${seconds}s`, "--latency", "-s", script, url], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    wrk.stdout.on("data", (c: Buffer) => (out += c.toString()));
    wrk.stderr.on("data", (c: Buffer) => (out += c.toString()));
    wrk.on("error", (err: NodeJS.ErrnoException) => reject(err.code === "ENOENT" ? new Error("wrk not found: install it (apt-get install -y wrk)") : err));
    wrk.on("close", (code) => {
      if (code !== 0) return reject(new Error(`wrk exited ${code}: ${out}`));
      const rps = /Requests\/sec:\s+([\d.]+)/.exec(out);
      const non2xx = /Non-2xx or 3xx responses:\s+(\d+)/.exec(out);
      const p99 = /99%\s+(\S+)/.exec(out);
      const avg = /Latency\s+(\S+)/.exec(out);
      resolve({ requestsPerSec: rps ? Number(rps[1]) : NaN, non2xx: non2xx ? Number(non2xx[1]) : 0, latency: `avg ${avg?.[1] ?? "?"} p99 ${p99?.[1] ?? "?"}` });
    });
  });
}

/** A wrk script posting `c.body`, read from a file (a 1 MiB string literal in Lua is asking for trouble). */
function writeScript(dir: string, c: Case): string {
  const bodyFile = join(dir, `${c.key}.body`);
  writeFileSync(bodyFile, c.body);
  const script = join(dir, `${c.key}.lua`);
  writeFileSync(
    script,
    [
      'wrk.method = "POST"',
      `local f = assert(io.open("${bodyFile}", "rb"))`,
      'wrk.body = f:read("*a")',
      "f:close()",
      `wrk.headers["Content-Type"] = "${c.contentType}"`,
      "",
    ].join("\n"),
  );
  return script;
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
  const { plugin, services } = createPlugin(webhook, { address: "127.0.0.1:0", ...options });
  const source = plugin as WebhookSource;
  await source.start!();
  const problems = await services.http.listenAll();
  if (problems.length) throw new Error(problems.map((p) => p.message).join("; "));
  let taken = 0;
  const sub: Subscription = source.events().subscribe(() => taken++);
  const counter = (s: Services, id: string): number => s.metrics.counter(id).value;
  return {
    url: source.url()!,
    requests: () => counter(services, "webhook.requests"),
    events: () => counter(services, "webhook.events"),
    taken: () => taken,
    close: async () => {
      sub.unsubscribe();
      await services.http.closeAll();
    },
  };
}

async function runCase(c: Case, dir: string): Promise<Result> {
  const target = c.key === "baseline" ? await bareFastify() : await webhookSource(c.options);
  const script = writeScript(dir, c);
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

const fmt = (n: number): string => (n >= 1000 ? `${(n / 1000).toFixed(1)}k` : n.toFixed(0)).padStart(7);

function print(r: Result): void {
  console.log(
    `${r.name.padEnd(38)} ${fmt(r.requestsPerSec)} req/s ${fmt(r.eventsPerSec)} ev/s accepted ${fmt(r.takenPerSec)} ev/s taken` +
      `  non-2xx ${r.non2xx}  latency ${r.latency}  CPU ${r.cpuUsPerRequest.toFixed(1)} µs/req (${fmt(1e6 / r.cpuUsPerRequest).trim()} req/s per core)`,
  );
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "livetap-webhook-bench-"));
  const only = process.env.BENCH_CASE;
  const selected = cases().filter((c) => !only || only.split(",").includes(c.key));
  const best = new Map<string, Result>();
  try {
    console.log(`webhook source: ${ROUNDS} rounds x ${SECONDS}s per case, wrk -t1 on 127.0.0.1, node ${process.version}`);
    for (let round = 1; round <= ROUNDS; round++) {
      console.log(`round ${round}`);
      for (const c of selected) {
        const r = await runCase(c, dir);
        print(r);
        const b = best.get(c.key);
        if (!b || r.requestsPerSec > b.requestsPerSec) best.set(c.key, r);
      }
    }
    console.log(`best of ${ROUNDS}`);
    for (const c of selected) print(best.get(c.key)!);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exitCode = 1;
});
