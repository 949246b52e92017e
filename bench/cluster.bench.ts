/**
 * Cluster bench (issue 15): syslog over TCP -> nats sink -> JetStream -> nats source -> sse,
 * against the single-node pipeline syslog -> sse, in the same run on the same machine.
 *
 * Processes (all real, from dist/): nats-server (-js, file storage in a temp dir), one ingest
 * node (syslog tcp -> nats), one edge node (nats -> sse); then one single node (syslog tcp ->
 * sse). The load generator and the SSE client are this process: RFC 5424 lines over one TCP
 * connection, each carrying its send time; the client reads the trace stream and takes
 * latency = receive time - send time (same clock: one process).
 *
 * Two phases per setup:
 *   max   — BENCH_EVENTS (200k) lines as fast as the TCP socket takes them: events/s at the
 *           client (first to last event). Latency here is queueing, so not reported.
 *   paced — BENCH_RATE (20k) lines/s for BENCH_SECONDS (3): p50/p99 end-to-end latency.
 * For each phase, CPU seconds of every process (utime+stime from /proc/<pid>/stat), so
 * "where the CPU goes" is measured, and CPU-µs per event per process (steadier than events/s
 * on a shared 2-core machine). Both setups use sse batchWindowMs 10 (the default 100 would
 * dominate latency) and a client buffer that holds a whole phase.
 *
 * Bounded: every phase waits at most 60 s for delivery; children are killed on every exit
 * path. Loopback only. Run: `npm run bench:cluster`.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import net from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { performance } from "node:perf_hooks";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "../..");
const CLI = join(ROOT, "dist/core/cli/main.js");
const num = (name: string, def: number, min: number, max: number) => Math.min(max, Math.max(min, Number(process.env[name] ?? def) || def));
const EVENTS = num("BENCH_EVENTS", 200_000, 10_000, 2_000_000);
const RATE = num("BENCH_RATE", 20_000, 1_000, 200_000);
const SECONDS = num("BENCH_SECONDS", 3, 1, 20);
const DEADLINE_MS = 60_000;
const TICKS_PER_S = 100; // USER_HZ on Linux

const children: ChildProcess[] = [];
const work = mkdtempSync(join(tmpdir(), "livetap-cluster-bench-"));
function cleanup(): void {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
  rmSync(work, { recursive: true, force: true });
}
process.on("exit", cleanup);
for (const s of ["SIGINT", "SIGTERM"] as const) process.on(s, () => process.exit(130));

const now = () => performance.timeOrigin + performance.now();

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer().once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

/** Starts a process and resolves once `ready` shows in its output. */
function startProcess(name: string, cmd: string, args: string[], ready: RegExp): Promise<ChildProcess> {
  const child = spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"] });
  children.push(child);
  let out = "";
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} did not start: ${out.slice(-2000)}`)), 60_000);
    const onData = (b: Buffer) => {
      out = (out + b.toString()).slice(-20_000);
      if (ready.test(out)) {
        clearTimeout(timer);
        resolve(child);
      }
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", onData);
    child.once("exit", (code) => reject(new Error(`${name} exited (${code}): ${out.slice(-2000)}`)));
  });
}

// BENCH_CPU_PROF=<dir>: livetap nodes run with `node --cpu-prof` into that folder (open the
// .cpuprofile files in Chrome DevTools); they are then stopped with SIGTERM so the profile is written.
const PROFILE_DIR = process.env.BENCH_CPU_PROF;

function livetap(name: string, config: object): Promise<ChildProcess> {
  const file = join(work, `${name}.json`);
  writeFileSync(file, JSON.stringify({ dataDir: join(work, name), ...config }));
  const prof = PROFILE_DIR ? ["--cpu-prof", `--cpu-prof-dir=${PROFILE_DIR}`, `--cpu-prof-name=${name}.cpuprofile`] : [];
  return startProcess(name, process.execPath, [...prof, CLI, "run", "--config", file], /press Ctrl-C to stop/);
}

/** Ends a node: SIGKILL, or SIGTERM and its exit when profiling (the profile is written at exit). */
async function end(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill(PROFILE_DIR ? "SIGTERM" : "SIGKILL");
  await exited;
}

/** utime + stime of a process, in seconds. */
function cpuOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_S;
}
function selfCpu(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

/** An SSE reader that counts events and records latencies from the `t=` in each message. */
class Reader {
  count = 0;
  first = 0;
  last = 0;
  latencies: number[] = [];
  recordLatency = false;
  private rest = "";
  private req: http.ClientRequest | undefined;

  open(url: string): Promise<void> {
    return new Promise((resolve, reject) => {
      this.req = http.get(url, { agent: false }, (res) => {
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => this.onData(chunk));
        resolve();
      });
      this.req.on("error", reject);
    });
  }

  private onData(chunk: string): void {
    this.rest += chunk;
    let end: number;
    while ((end = this.rest.indexOf("\n\n")) >= 0) {
      const frame = this.rest.slice(0, end);
      this.rest = this.rest.slice(end + 2);
      if (!frame.includes("event: trace")) continue;
      const data = frame.slice(frame.indexOf("data: ") + 6);
      const t = now();
      const events = JSON.parse(data) as { data: { message: string } }[];
      if (this.count === 0) this.first = t;
      this.count += events.length;
      this.last = t;
      if (this.recordLatency) for (const e of events) this.latencies.push(t - Number(/t=([\d.]+)/.exec(e.data.message)![1]));
    }
  }

  reset(): void {
    this.count = 0;
    this.latencies = [];
  }

  close(): void {
    this.req?.destroy();
  }
}

function line(i: number): string {
  return `<13>1 2026-12-01T10:00:00.000Z bench-host bench - - - n=${i} t=${now().toFixed(3)} GET /api/v1/orders 200 1234 "Mozilla/5.0"\n`;
}

async function connectSyslog(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, "127.0.0.1", () => resolve(s));
    s.once("error", reject);
  });
}

async function sendMax(socket: net.Socket, n: number): Promise<void> {
  for (let i = 0; i < n; ) {
    let chunk = "";
    for (let k = 0; k < 200 && i < n; k++, i++) chunk += line(i);
    if (!socket.write(chunk)) await new Promise((r) => socket.once("drain", r));
  }
}

async function sendPaced(socket: net.Socket, rate: number, seconds: number): Promise<number> {
  const start = now();
  let sent = 0;
  const total = rate * seconds;
  while (sent < total) {
    const due = Math.min(total, Math.floor(((now() - start) / 1000) * rate));
    let chunk = "";
    for (; sent < due; sent++) chunk += line(sent);
    if (chunk) socket.write(chunk);
    await new Promise((r) => setTimeout(r, 2));
  }
  return sent;
}

async function waitCount(reader: Reader, n: number): Promise<boolean> {
  const end = Date.now() + DEADLINE_MS;
  while (reader.count < n) {
    if (Date.now() > end) return false;
    await new Promise((r) => setTimeout(r, 20));
  }
  return true;
}

interface PhaseResult {
  events: number;
  delivered: number;
  rate: number;
  p50?: number;
  p99?: number;
  cpu: Record<string, number>;
}

async function phase(kind: "max" | "paced", socket: net.Socket, reader: Reader, pids: Record<string, number>): Promise<PhaseResult> {
  reader.reset();
  reader.recordLatency = kind === "paced";
  const cpu0 = Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, cpuOf(pid)]));
  const self0 = selfCpu();
  const n = kind === "max" ? (await sendMax(socket, EVENTS), EVENTS) : await sendPaced(socket, RATE, SECONDS);
  const ok = await waitCount(reader, n);
  const cpu = Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, cpuOf(pid) - cpu0[k]!]));
  cpu["bench client"] = selfCpu() - self0;
  const result: PhaseResult = { events: n, delivered: reader.count, rate: Math.round(reader.count / ((reader.last - reader.first) / 1000)), cpu };
  if (!ok) console.log(`  (${kind}: only ${reader.count} of ${n} delivered within ${DEADLINE_MS / 1000} s)`);
  if (kind === "paced") {
    const sorted = reader.latencies.sort((a, b) => a - b);
    result.p50 = sorted[Math.floor(sorted.length * 0.5)];
    result.p99 = sorted[Math.floor(sorted.length * 0.99)];
  }
  return result;
}

const SSE = { batchWindowMs: 10, clientBufferEvents: 1_000_000, replayEvents: 1000 };

async function runCluster(): Promise<{ max: PhaseResult; paced: PhaseResult }> {
  const natsPort = await freePort();
  const nats = await startProcess("nats-server", "nats-server", ["-js", "-sd", join(work, "nats"), "-a", "127.0.0.1", "-p", String(natsPort)], /Server is ready/);
  const url = `nats://127.0.0.1:${natsPort}`;
  const [syslogPort, ssePort] = [await freePort(), await freePort()];
  const ingest = await livetap("ingest", {
    sources: { syslog: { type: "syslog", mode: "tcp", address: `127.0.0.1:${syslogPort}` } },
    sinks: { bus: { type: "nats", inputs: ["syslog"], servers: [url], stream: "BENCH", subject: "bench.{type}", createStream: { storage: "file", maxBytes: 4 * 1024 * 1024 * 1024 } } },
  });
  const edge = await livetap("edge", {
    sources: { bus: { type: "nats", servers: [url], stream: "BENCH" } },
    sinks: { live: { type: "sse", inputs: ["bus"], address: `127.0.0.1:${ssePort}`, ...SSE } },
  });
  const reader = new Reader();
  await reader.open(`http://127.0.0.1:${ssePort}/api/telemetry/traces/live`);
  const socket = await connectSyslog(syslogPort);
  const pids = { "nats-server": nats.pid!, ingest: ingest.pid!, edge: edge.pid! };
  const max = await phase("max", socket, reader, pids);
  const paced = await phase("paced", socket, reader, pids);
  socket.destroy();
  reader.close();
  for (const c of [ingest, edge, nats]) await end(c);
  return { max, paced };
}

async function runSingle(): Promise<{ max: PhaseResult; paced: PhaseResult }> {
  const [syslogPort, ssePort] = [await freePort(), await freePort()];
  const node = await livetap("single", {
    sources: { syslog: { type: "syslog", mode: "tcp", address: `127.0.0.1:${syslogPort}` } },
    sinks: { live: { type: "sse", inputs: ["syslog"], address: `127.0.0.1:${ssePort}`, ...SSE } },
  });
  const reader = new Reader();
  await reader.open(`http://127.0.0.1:${ssePort}/api/telemetry/traces/live`);
  const socket = await connectSyslog(syslogPort);
  const pids = { node: node.pid! };
  const max = await phase("max", socket, reader, pids);
  const paced = await phase("paced", socket, reader, pids);
  socket.destroy();
  reader.close();
  await end(node);
  return { max, paced };
}

function cpuLine(r: PhaseResult): string {
  const total = Object.values(r.cpu).reduce((a, b) => a + b, 0);
  return Object.entries(r.cpu)
    .map(([k, s]) => `${k} ${s.toFixed(2)} s (${Math.round((s / total) * 100)}%, ${((s / r.delivered) * 1e6).toFixed(1)} µs/event)`)
    .join("; ");
}

async function main(): Promise<void> {
  console.log(`cluster bench: ${EVENTS} events at max speed, then ${RATE}/s for ${SECONDS} s; sse batchWindowMs 10`);
  const single = await runSingle();
  const cluster = await runCluster();
  const rows: [string, string, { max: PhaseResult; paced: PhaseResult }][] = [
    ["single node", "syslog -> sse", single],
    ["cluster", "syslog -> nats -> JetStream -> nats -> sse", cluster],
  ];
  console.log("\n| setup | path | max events/s | paced p50 / p99 ms |");
  console.log("|---|---|---|---|");
  for (const [name, path, r] of rows) console.log(`| ${name} | ${path} | ${r.max.rate.toLocaleString("en")} | ${r.paced.p50?.toFixed(1)} / ${r.paced.p99?.toFixed(1)} |`);
  console.log("\nwhere the CPU goes (max phase):");
  for (const [name, , r] of rows) console.log(`  ${name}: ${cpuLine(r.max)}`);
  console.log("where the CPU goes (paced phase):");
  for (const [name, , r] of rows) console.log(`  ${name}: ${cpuLine(r.paced)}`);
  const singleCpu = single.max.cpu.node! / single.max.delivered;
  const ingestCpu = cluster.max.cpu.ingest! / cluster.max.delivered;
  console.log(
    `\ningest node CPU per event ${(ingestCpu * 1e6).toFixed(1)} µs vs single node ${(singleCpu * 1e6).toFixed(1)} µs: ` +
      `an ingest node alone on a core would take ${Math.round(1 / ingestCpu).toLocaleString("en")} events/s, ` +
      `${Math.round((singleCpu / ingestCpu) * 100)}% of the single node's ${Math.round(1 / singleCpu).toLocaleString("en")} (aim: at least 50%)`,
  );
  console.log(`cluster max rate ${Math.round((cluster.max.rate / single.max.rate) * 100)}% of the single node's on this 2-core machine (all processes share it)`);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
