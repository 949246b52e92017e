/**
 * SSE delivery bench: events/s from a fast in-process source through the real `sse` sink to 1,
 * 10 and 100 connected clients (distinct filters; unfiltered too), p50/p99 delivery latency
 * and server RSS, next to the same shape written with bare node:http (the baseline), plus a
 * stalled-client case.
 *
 * Each server runs in its own forked process (bench/sse-server.ts: the sink via createPlugin,
 * start, listenAll, consume(Subject); bench/sse-baseline-server.ts: node:http), so the clients
 * here in the parent (raw http.get and a minimal SSE scanner that counts events and reads each
 * event's `data.sentAt`) do not share the server's core. Both servers run the same source
 * (bench/sse-common.ts) and report their RSS (sampled every 20 ms) and CPU per phase; the
 * parent reports its own CPU, so a client-bound figure shows as client CPU near 100%.
 *
 * Per case two phases on the same connections:
 *   max   — BENCH_MAX_EVENTS (150k) events as fast as the server can publish them
 *           (BENCH_CHUNK = 1000 per setImmediate): the delivery capacity. Latency here is
 *           queueing under saturation.
 *   paced — BENCH_RATE (100k) events/s for BENCH_PACED_SECONDS (2): delivery latency at the
 *           target rate.
 * Stalled client: BENCH_RATE events/s to one normal client for BENCH_STALL_SECONDS (6) alone
 * (control: the heap grows to the load), then as long with a second client that connects and
 * never reads; the sink runs with stallTimeoutMs 3000. Reports the RSS growth (over the stalled
 * phase's start, and over the control's maximum), that the normal client got everything, and
 * when the server closed the stalled socket.
 *
 * Every figure is also given as server CPU time per event (all threads, GC included), which
 * neighbours on a shared machine barely change, unlike events/s and latency.
 * BENCH_ROUNDS (1) > 1 repeats the cases interleaved and keeps each one's best round.
 * BENCH_PROF=sink|baseline writes a V8 CPU profile of that server to /tmp/livetap-sse-prof.
 *
 * Bounded: every phase waits at most 12 s for delivery; the whole run takes about 1.5-2.5 min
 * (more on a busy machine). Network: 127.0.0.1 only. Children are killed on any exit path.
 * Run: `npm run bench:sse`, or `npm run build && node dist-test/bench/sse.bench.js`
 * (BENCH_CASES=1,10,100,10u,stall picks cases).
 */
import { fork, type ChildProcess } from "node:child_process";
import http from "node:http";
import net from "node:net";
import { cpus, loadavg } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { performance } from "node:perf_hooks";
import {
  expectedCount,
  filtersFor,
  LatencyHistogram,
  nowMs,
  TRACES_PATH,
  type FromServer,
  type PhaseStats,
  type RunCommand,
  type ToServer,
} from "./sse-common.js";

const HERE = dirname(fileURLToPath(import.meta.url));
const num = (name: string, def: number, min: number, max: number) => Math.min(max, Math.max(min, Number(process.env[name] ?? def) || def));
const MAX_EVENTS = num("BENCH_MAX_EVENTS", 150_000, 10_000, 2_000_000);
const RATE = num("BENCH_RATE", 100_000, 1_000, 500_000);
const PACED_SECONDS = num("BENCH_PACED_SECONDS", 2, 1, 10);
const ROUNDS = num("BENCH_ROUNDS", 1, 1, 5);
const STALL_SECONDS = num("BENCH_STALL_SECONDS", 6, 5, 12);
/**
 * The stall case's control: the same flow with the normal client alone, as long as the stalled
 * phase, so V8 sizing its heap to the load is not taken for the stalled client's cost.
 */
const CONTROL_SECONDS = num("BENCH_CONTROL_SECONDS", STALL_SECONDS, 1, 12);
const STALL_TIMEOUT_MS = 3000;
const BATCH_WINDOW_MS = 100; // the sink's default, and the baseline's interval
const PHASE_DEADLINE_MS = 12_000;
/** Events per synchronous burst of the source (BENCH_CHUNK: over ~10.5k shows the sink's per-tick burst limit). */
const CHUNK = num("BENCH_CHUNK", 1000, 1, 100_000);
/** Extra sink options for every case, as JSON (e.g. BENCH_SINK_OPTIONS='{"replayEvents":0}' to see what the replay ring costs). */
const SINK_OPTIONS = JSON.parse(process.env.BENCH_SINK_OPTIONS ?? "{}") as Record<string, unknown>;

type Impl = "sink" | "baseline";
const SERVER_SCRIPT: Record<Impl, string> = { sink: join(HERE, "sse-server.js"), baseline: join(HERE, "sse-baseline-server.js") };

// ---------------------------------------------------------------------------------------------
// A bench server in a child process
// ---------------------------------------------------------------------------------------------

const children = new Set<ChildProcess>();
process.on("exit", () => {
  for (const c of children) c.kill("SIGKILL");
});
for (const sig of ["SIGINT", "SIGTERM"] as const) process.on(sig, () => process.exit(130));

class ServerProcess {
  private waiters: { t: FromServer["t"]; resolve: (m: FromServer) => void }[] = [];
  url = "";
  /** When the last phase's source finished (server clock). */
  lastEndedAt = 0;
  /** child clock - parent clock (ms). */
  offset = 0;
  rttMs = 0;

  private constructor(readonly impl: Impl, private readonly child: ChildProcess) {
    child.on("message", (m: FromServer) => {
      const i = this.waiters.findIndex((w) => w.t === m.t);
      if (i >= 0) this.waiters.splice(i, 1)[0].resolve(m);
    });
  }

  static async start(impl: Impl, sinkOptions: Record<string, unknown> = {}): Promise<ServerProcess> {
    // BENCH_PROF=sink|baseline: V8 CPU profile of that server into /tmp/livetap-sse-prof.
    const execArgv = process.env.BENCH_PROF === impl ? ["--cpu-prof", "--cpu-prof-dir=/tmp/livetap-sse-prof"] : [];
    const child = fork(SERVER_SCRIPT[impl], [JSON.stringify({ ...SINK_OPTIONS, ...sinkOptions })], { stdio: ["ignore", "inherit", "inherit", "ipc"], execArgv });
    children.add(child);
    child.on("exit", () => children.delete(child));
    const s = new ServerProcess(impl, child);
    const ready = (await s.request(undefined, "ready", 15_000)) as Extract<FromServer, { t: "ready" }>;
    s.url = ready.url;
    await s.syncClock();
    return s;
  }

  request(msg: ToServer | undefined, reply: FromServer["t"], timeoutMs = 30_000): Promise<FromServer> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${this.impl} server: no "${reply}" within ${timeoutMs} ms`)), timeoutMs);
      this.waiters.push({
        t: reply,
        resolve: (m) => {
          clearTimeout(timer);
          resolve(m);
        },
      });
      if (msg) this.child.send(msg);
    });
  }

  /** Offset between the processes' clocks from the fastest of a few IPC round trips. */
  private async syncClock(): Promise<void> {
    let best = Infinity;
    for (let i = 0; i < 9; i++) {
      const t0 = nowMs();
      const m = (await this.request({ t: "clock" }, "clock")) as Extract<FromServer, { t: "clock" }>;
      const t1 = nowMs();
      if (t1 - t0 < best) {
        best = t1 - t0;
        this.offset = m.now - (t0 + t1) / 2;
      }
    }
    this.rttMs = best;
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = new Promise<void>((r) => this.child.once("exit", () => r()));
    this.child.send({ t: "stop" } satisfies ToServer);
    const timer = setTimeout(() => this.child.kill("SIGKILL"), 5000);
    await exited;
    clearTimeout(timer);
  }
}

// ---------------------------------------------------------------------------------------------
// Clients
// ---------------------------------------------------------------------------------------------

const SENT_AT = '"sentAt":';
const DROPPED = 'event: dropped\ndata: {"count":';

/**
 * One traces-stream client: http.get and a minimal SSE scanner. It does not JSON.parse: it
 * counts events by their `"sentAt":` key (every event has exactly one, and no other frame
 * does), reads the number after it for the latency, and sums `dropped` frames.
 */
class SseClient {
  received = 0;
  dropped = 0;
  lastAt = 0;
  /** Events sent at or before this (server clock: the previous phase's end) are late ones of that phase, not counted. */
  minSentAt = 0;
  connected = false;
  closed = false;
  private carry = "";
  private req: http.ClientRequest | undefined;

  constructor(
    readonly query: string,
    private readonly hist: LatencyHistogram,
    private readonly offset: number,
  ) {}

  open(base: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const url = base + TRACES_PATH + (this.query ? `?${this.query}` : "");
      this.req = http.get(url, { agent: false }, (res) => {
        if (res.statusCode !== 200) return reject(new Error(`${url}: HTTP ${res.statusCode}`));
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => {
          this.onData(chunk);
          if (!this.connected) {
            this.connected = true;
            resolve();
          }
        });
        res.on("close", () => (this.closed = true));
        res.on("error", () => (this.closed = true));
      });
      this.req.on("error", reject);
    });
  }

  reset(): void {
    this.received = 0;
    this.dropped = 0;
    this.lastAt = 0;
  }

  /**
   * Scans each chunk once (linear in the bytes received, whatever the frame size): complete
   * `"sentAt":<number>}` and `dropped` frames are counted; only a short tail that may hold a
   * split one is carried over to the next chunk.
   */
  private onData(chunk: string): void {
    const now = nowMs();
    const s = this.carry + chunk;
    // Server clock -> parent clock: sentAt - offset.
    const at = now + this.offset;
    let n = 0;
    let consumed = 0;
    let partial = -1;
    for (let i = s.indexOf(SENT_AT); i >= 0; i = s.indexOf(SENT_AT, consumed)) {
      const j = s.indexOf("}", i + 9);
      if (j < 0) {
        partial = i;
        break;
      }
      const sentAt = Number(s.slice(i + 9, j));
      consumed = j + 1;
      if (sentAt <= this.minSentAt) continue;
      this.hist.record(at - sentAt);
      n++;
    }
    let droppedEnd = 0;
    for (let i = s.indexOf(DROPPED); i >= 0; i = s.indexOf(DROPPED, droppedEnd)) {
      const j = s.indexOf("}", i + DROPPED.length);
      if (j < 0) {
        partial = partial < 0 ? i : Math.min(partial, i);
        break;
      }
      this.dropped += Number(s.slice(i + DROPPED.length, j));
      droppedEnd = j + 1;
    }
    consumed = Math.max(consumed, droppedEnd);
    // Dropped frames come before trace frames' data, so a partial one is always after every
    // counted event; the 64-character tail covers a pattern split right at the chunk's end.
    this.carry = s.slice(partial >= 0 ? partial : Math.max(consumed, s.length - 64));
    if (n > 0) {
      this.received += n;
      this.lastAt = now;
    }
  }

  close(): void {
    this.req?.destroy();
  }
}

/** A client that connects, sends its request and never reads a byte. */
function stalledClient(base: string): Promise<net.Socket> {
  const u = new URL(base);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(u.port), u.hostname, () => {
      socket.write(`GET ${TRACES_PATH} HTTP/1.1\r\nHost: ${u.host}\r\nAccept: text/event-stream\r\n\r\n`);
      socket.pause();
      resolve(socket);
    });
    socket.on("error", reject);
  });
}

// ---------------------------------------------------------------------------------------------
// Phases and cases
// ---------------------------------------------------------------------------------------------

interface PhaseResult {
  case: string;
  impl: Impl;
  phase: "max" | "paced" | "control" | "stall";
  clients: number;
  sent: number;
  /** When the source started (server clock). */
  startedAtServer: number;
  publishPerSec: number;
  expected: number;
  delivered: number;
  dropped: number;
  deliveredPerSec: number;
  perClientPerSec: number;
  p50: number;
  p99: number;
  maxLatency: number;
  server: PhaseStats;
  serverCpu: number;
  /** Server CPU (all threads, GC included) per published event: robust to neighbours taking the cores. */
  cpuUsPerEvent: number;
  clientCpu: number;
  /** The client process's event-loop utilisation: near 1 means it was busy all the time (client-bound), whatever CPU share it got. */
  clientElu: number;
  complete: boolean;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function runPhase(
  caseName: string,
  server: ServerProcess,
  clients: SseClient[],
  hist: LatencyHistogram,
  phase: PhaseResult["phase"],
  cmd: RunCommand,
  watchPort?: number,
): Promise<PhaseResult> {
  for (const c of clients) {
    c.reset();
    c.minSentAt = server.lastEndedAt;
  }
  hist.reset();
  const expected = clients.map((c) => expectedCount(c.query, cmd.count));
  const cpu0 = process.cpuUsage();
  const elu0 = performance.eventLoopUtilization();
  const sentMsg = (await server.request(cmd, "sent", PHASE_DEADLINE_MS + 15_000)) as Extract<FromServer, { t: "sent" }>;
  server.lastEndedAt = sentMsg.endedAt;
  const startedAt = sentMsg.startedAt - server.offset; // parent clock
  // Delivery: everything expected arrived (or was reported dropped), nothing new for 2 s, or the deadline.
  const deadline = startedAt + PHASE_DEADLINE_MS;
  let lastProgress = nowMs();
  let lastTotal = -1;
  for (;;) {
    const total = clients.reduce((a, c) => a + c.received + c.dropped, 0);
    if (clients.every((c, i) => c.received + c.dropped >= expected[i])) break;
    if (total !== lastTotal) {
      lastTotal = total;
      lastProgress = nowMs();
    }
    if (nowMs() - lastProgress > 2000 || nowMs() > deadline) break;
    await sleep(5);
  }
  const cpu = process.cpuUsage(cpu0);
  const elu = performance.eventLoopUtilization(elu0);
  const clientWall = nowMs() - (sentMsg.startedAt - server.offset);
  const stats = (await server.request({ t: "stats", watchPort }, "stats")) as PhaseStats;
  const delivered = clients.reduce((a, c) => a + c.received, 0);
  const lastAt = Math.max(...clients.map((c) => c.lastAt));
  const seconds = (lastAt - startedAt) / 1000;
  const expectedTotal = expected.reduce((a, b) => a + b, 0);
  return {
    case: caseName,
    impl: server.impl,
    phase,
    clients: clients.length,
    sent: sentMsg.sent,
    startedAtServer: sentMsg.startedAt,
    publishPerSec: sentMsg.sent / ((sentMsg.endedAt - sentMsg.startedAt) / 1000),
    expected: expectedTotal,
    delivered,
    dropped: clients.reduce((a, c) => a + c.dropped, 0),
    deliveredPerSec: seconds > 0 ? delivered / seconds : 0,
    perClientPerSec: seconds > 0 ? delivered / seconds / clients.length : 0,
    p50: hist.quantile(0.5),
    p99: hist.quantile(0.99),
    maxLatency: hist.max,
    server: stats,
    serverCpu: stats.cpuMs / stats.wallMs,
    cpuUsPerEvent: (stats.cpuMs * 1000) / sentMsg.sent,
    clientCpu: (cpu.user + cpu.system) / 1000 / clientWall,
    clientElu: elu.utilization,
    complete: delivered === expectedTotal,
  };
}

interface CaseDef {
  key: string;
  name: string;
  clients: number;
  distinct: boolean;
}

const CASES: CaseDef[] = [
  { key: "1", name: "1 client, unfiltered", clients: 1, distinct: false },
  { key: "10", name: "10 clients, distinct filters", clients: 10, distinct: true },
  { key: "100", name: "100 clients, distinct filters", clients: 100, distinct: true },
  { key: "10u", name: "10 clients, unfiltered", clients: 10, distinct: false },
];

async function runCase(def: CaseDef, impl: Impl): Promise<PhaseResult[]> {
  const server = await ServerProcess.start(impl);
  const hist = new LatencyHistogram();
  const clients = filtersFor(def.clients, def.distinct).map((q) => new SseClient(q, hist, server.offset));
  try {
    await Promise.all(clients.map((c) => c.open(server.url)));
    const out: PhaseResult[] = [];
    out.push(await runPhase(def.name, server, clients, hist, "max", { t: "run", count: MAX_EVENTS, rate: 0, chunk: CHUNK }));
    out.push(await runPhase(def.name, server, clients, hist, "paced", { t: "run", count: RATE * PACED_SECONDS, rate: RATE, chunk: CHUNK }));
    return out;
  } finally {
    for (const c of clients) c.close();
    await server.stop();
  }
}

interface StallResult {
  control: PhaseResult;
  phase: PhaseResult;
  stalledClosedAfterMs?: number;
  closedAfterBlockedMs?: number;
  blockedAfterMs?: number;
  stalledMaxBufferedMiB: number;
}

async function runStall(impl: Impl): Promise<StallResult> {
  const server = await ServerProcess.start(impl, { stallTimeoutMs: STALL_TIMEOUT_MS });
  const hist = new LatencyHistogram();
  const normal = new SseClient("", hist, server.offset);
  let stalled: net.Socket | undefined;
  const name = "1 normal + 1 stalled client";
  try {
    await normal.open(server.url);
    // The same flow with the normal client alone first: the heap grows to the load here.
    const control = await runPhase(name, server, [normal], hist, "control", { t: "run", count: RATE * CONTROL_SECONDS, rate: RATE, chunk: CHUNK });
    stalled = await stalledClient(server.url);
    stalled.on("error", () => undefined);
    // Registered server-side once both streams count.
    for (let i = 0; i < 200; i++) {
      const st = (await server.request({ t: "stats" }, "stats")) as PhaseStats;
      if ((st.counters["sse.clients"] ?? st.counters["clients"]) === 2) break;
      await sleep(10);
    }
    const phase = await runPhase(name, server, [normal], hist, "stall", { t: "run", count: RATE * STALL_SECONDS, rate: RATE, chunk: CHUNK }, stalled.localPort);
    const w = phase.server.watched;
    const start = phase.startedAtServer;
    return {
      control,
      phase,
      stalledClosedAfterMs: w?.closedAt !== undefined ? w.closedAt - start : undefined,
      blockedAfterMs: w?.blockedSince !== undefined ? w.blockedSince - start : undefined,
      closedAfterBlockedMs: w?.closedAt !== undefined && w.blockedSince !== undefined ? w.closedAt - w.blockedSince : undefined,
      stalledMaxBufferedMiB: w?.maxBufferedMiB ?? 0,
    };
  } finally {
    normal.close();
    stalled?.destroy();
    await server.stop();
  }
}

// ---------------------------------------------------------------------------------------------
// Output
// ---------------------------------------------------------------------------------------------

const int = (n: number) => (Number.isFinite(n) ? Math.round(n).toLocaleString("en") : "-");
const fix = (n: number, d = 1) => (Number.isFinite(n) ? n.toFixed(d) : "-");
const pct = (n: number) => `${Math.round(n * 100)}%`;

function row(r: PhaseResult): string {
  const s = r.server;
  return (
    `| ${r.case} | ${r.impl} | ${r.phase} | ${int(r.publishPerSec)} | ${int(r.delivered)}/${int(r.expected)}${r.complete ? "" : " ⚠"} | ${int(r.dropped)} | ` +
    `${int(r.deliveredPerSec)} | ${int(r.perClientPerSec)} | ${fix(r.p50)} | ${fix(r.p99)} | ${fix(r.maxLatency)} | ` +
    `${fix(s.rssMaxMiB)} (+${fix(s.rssMaxMiB - s.rssBeforeMiB)}) | ${pct(r.serverCpu)} | ${fix(r.cpuUsPerEvent, 2)} | ${pct(r.clientCpu)} / ${pct(r.clientElu)} |`
  );
}

async function main(): Promise<void> {
  const only = process.env.BENCH_CASES?.split(",").map((s) => s.trim());
  const t0 = Date.now();
  const load0 = loadavg()[0];
  console.log(
    `SSE delivery bench; node ${process.version}; ${cpus().length} cores, load average ${fix(load0, 2)} at start; best of ${ROUNDS} rounds; max phase ${int(MAX_EVENTS)} events, paced phase ${int(RATE)} ev/s x ${PACED_SECONDS} s; ` +
      `source bursts of ${int(CHUNK)}; ${process.env.BENCH_SINK_OPTIONS ? `sink options ${process.env.BENCH_SINK_OPTIONS}, otherwise ` : ""}sink defaults (batchWindowMs ${BATCH_WINDOW_MS}, batchMaxEvents 500, clientBufferEvents 10000); baseline batches every ${BATCH_WINDOW_MS} ms\n`,
  );
  // Rounds interleave sink and baseline; per case, server and phase the best round is kept
  // (neighbours on a shared machine only ever make a round worse): max phase by delivered
  // events/s, paced phase by p99 latency.
  const all: PhaseResult[] = [];
  for (let round = 1; round <= ROUNDS; round++) {
    for (const def of CASES) {
      if (only && !only.includes(def.key)) continue;
      for (const impl of ["sink", "baseline"] as const) {
        const rs = await runCase(def, impl);
        all.push(...rs);
        for (const r of rs) {
          process.stderr.write(`  round ${round}: ${r.case} ${r.impl} ${r.phase}: ${int(r.deliveredPerSec)} ev/s, p99 ${fix(r.p99)} ms, server CPU ${pct(r.serverCpu)}\n`);
        }
      }
    }
  }
  const results: PhaseResult[] = [];
  for (const r of all) {
    const i = results.findIndex((x) => x.case === r.case && x.impl === r.impl && x.phase === r.phase);
    if (i < 0) results.push(r);
    else if (r.phase === "max" ? r.deliveredPerSec > results[i].deliveredPerSec : r.p99 < results[i].p99) results[i] = r;
  }
  const stalls: StallResult[] = [];
  if (!only || only.includes("stall")) {
    for (const impl of ["sink", "baseline"] as const) {
      stalls.push(await runStall(impl));
      process.stderr.write(`  stall ${impl} done\n`);
    }
  }

  console.log(
    "| case | server | phase | published ev/s | delivered/expected | dropped | delivered ev/s (sum) | per client | p50 ms | p99 ms | max ms | server RSS max MiB (growth) | server CPU | server CPU µs/event | client CPU / event-loop use |",
  );
  console.log("|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
  for (const r of results) console.log(row(r));
  for (const s of stalls) console.log(`${row(s.control)}\n${row(s.phase)}`);

  console.log(
    "\n| case | phase | sink ev/s | baseline ev/s | sink/baseline (ev/s) | sink/baseline (events per server CPU second) | sink p99 ms | baseline p99 ms |",
  );
  console.log("|---|---|---:|---:|---:|---:|---:|---:|");
  for (const r of results.filter((x) => x.impl === "sink")) {
    const b = results.find((x) => x.impl === "baseline" && x.case === r.case && x.phase === r.phase);
    if (!b) continue;
    console.log(
      `| ${r.case} | ${r.phase} | ${int(r.deliveredPerSec)} | ${int(b.deliveredPerSec)} | ${fix(r.deliveredPerSec / b.deliveredPerSec, 2)}x | ` +
        `${fix(b.cpuUsPerEvent / r.cpuUsPerEvent, 2)}x | ${fix(r.p99)} | ${fix(b.p99)} |`,
    );
  }

  if (stalls.length) {
    console.log(
      `\nStalled client (sink stallTimeoutMs ${STALL_TIMEOUT_MS}; ${int(RATE)} ev/s to one normal client, ${CONTROL_SECONDS} s alone (control), then ${STALL_SECONDS} s with a client that never reads; growth over the stalled phase's start is the conservative figure, V8 heap sizing included):`,
    );
    console.log(
      "| server | normal client got | dropped for it | server RSS MiB: control max / stalled phase before → max (growth) | stalled max − control max MiB | heap used max MiB control / stalled | stalled socket: kernel full after | closed after | closed after blocked | most buffered in userland MiB | sse.dropped |",
    );
    console.log("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for (const s of stalls) {
      const p = s.phase;
      const ms = (n: number | undefined) => (n === undefined ? "never" : `${fix(n / 1000, 2)} s`);
      console.log(
        `| ${p.impl} | ${int(p.delivered)}/${int(p.sent)} | ${int(p.dropped)} | ${fix(s.control.server.rssMaxMiB)} / ${fix(p.server.rssBeforeMiB)} → ${fix(p.server.rssMaxMiB)} (+${fix(p.server.rssMaxMiB - p.server.rssBeforeMiB)}) | ` +
          `${fix(p.server.rssMaxMiB - s.control.server.rssMaxMiB)} | ${fix(s.control.server.heapUsedMaxMiB)} / ${fix(p.server.heapUsedMaxMiB)} | ` +
          `${ms(s.blockedAfterMs)} | ${ms(s.stalledClosedAfterMs)} | ${ms(s.closedAfterBlockedMs)} | ${fix(s.stalledMaxBufferedMiB)} | ${p.server.counters["sse.dropped"] ?? "-"} |`,
      );
    }
  }

  // Targets of the SSE issue.
  console.log("\nTargets:");
  const one = results.find((r) => r.impl === "sink" && r.clients === 1 && r.phase === "max");
  const oneB = results.find((r) => r.impl === "baseline" && r.clients === 1 && r.phase === "max");
  const check = (ok: boolean | undefined, text: string) => console.log(`- ${ok === undefined ? "n/a" : ok ? "PASS" : "FAIL"}: ${text}`);
  // On a shared machine the server process gets a fraction of a core; its CPU time per event
  // is what neighbours barely change, so each target is also shown normalised to one full core.
  const perCore = (r: PhaseResult) => 1e6 / r.cpuUsPerEvent;
  check(
    one && one.deliveredPerSec >= 100_000,
    `≥ 100k events/s delivered to one client (sink: ${one ? int(one.deliveredPerSec) : "-"} ev/s wall-clock at ${one ? pct(one.serverCpu) : "-"} of a core; ` +
      `CPU-normalised ${one ? int(perCore(one)) : "-"} ev/s per core)`,
  );
  const ratios = results
    .filter((r) => r.impl === "sink" && r.phase === "max")
    .map((r) => ({ r, b: results.find((x) => x.impl === "baseline" && x.case === r.case && x.phase === r.phase)! }))
    .filter((x) => x.b);
  const lowest = (f: (x: { r: PhaseResult; b: PhaseResult }) => number) =>
    ratios.reduce<{ name: string; ratio: number } | undefined>((w, x) => (!w || f(x) < w.ratio ? { name: x.r.case, ratio: f(x) } : w), undefined);
  const wallLow = lowest((x) => x.r.deliveredPerSec / x.b.deliveredPerSec);
  const cpuLow = lowest((x) => x.b.cpuUsPerEvent / x.r.cpuUsPerEvent);
  check(
    one && oneB ? one.deliveredPerSec / oneB.deliveredPerSec >= 0.8 : undefined,
    `≥ 0.8x the bare-Node baseline (1 client: ${one && oneB ? fix(one.deliveredPerSec / oneB.deliveredPerSec, 2) : "-"}x wall-clock, ` +
      `${one && oneB ? fix(oneB.cpuUsPerEvent / one.cpuUsPerEvent, 2) : "-"}x events per CPU second; lowest over the max phases: ` +
      `${wallLow ? `${fix(wallLow.ratio, 2)}x (${wallLow.name})` : "-"} wall-clock, ${cpuLow ? `${fix(cpuLow.ratio, 2)}x (${cpuLow.name})` : "-"} per CPU second)`,
  );
  // The latency target is about the target rate: a case whose server could not publish that
  // rate (all its CPU share went to fan-out) shows queueing, and is listed apart.
  const paced = results.filter((r) => r.impl === "sink" && r.phase === "paced");
  const kept = paced.filter((r) => r.publishPerSec >= 0.95 * RATE);
  const behind = paced.filter((r) => r.publishPerSec < 0.95 * RATE);
  const worstP99 = Math.max(...kept.map((r) => r.p99));
  check(
    kept.length ? worstP99 <= BATCH_WINDOW_MS + 50 : undefined,
    `p99 ≤ batchWindowMs + 50 = ${BATCH_WINDOW_MS + 50} ms at ${int(RATE)} ev/s (sink: ${kept.map((r) => `${r.case} ${fix(r.p99)} ms`).join(", ") || "-"})` +
      (behind.length
        ? `; server behind the source (published < 95% of the rate, so p99 is queueing): ` +
          behind.map((r) => `${r.case} ${fix(r.p99)} ms at ${int(r.publishPerSec)} ev/s published, ${pct(r.serverCpu)} of a core`).join(", ")
        : ""),
  );
  const st = stalls.find((s) => s.phase.impl === "sink");
  check(
    st ? st.phase.server.rssMaxMiB - st.phase.server.rssBeforeMiB < 50 && st.phase.complete && st.stalledClosedAfterMs !== undefined : undefined,
    `RSS growth < 50 MiB with one stalled client (sink: +${st ? fix(st.phase.server.rssMaxMiB - st.phase.server.rssBeforeMiB) : "-"} MiB over the phase's start, ` +
      `${st ? fix(st.phase.server.rssMaxMiB - st.control.server.rssMaxMiB) : "-"} MiB over the control's max; normal client complete: ${st?.phase.complete}; stalled socket closed: ${st?.stalledClosedAfterMs !== undefined})`,
  );
  const clientBound = [...results, ...stalls.flatMap((s) => [s.control, s.phase])].filter((r) => r.clientCpu > 0.85 || r.clientElu > 0.85);
  console.log(
    clientBound.length
      ? `\nClient-bound (client process CPU or event-loop use > 85%): ${clientBound.map((r) => `${r.case} ${r.impl} ${r.phase}`).join("; ")}`
      : "\nThe client process stayed below 85% CPU and event-loop use in every phase: the figures are the servers'.",
  );
  console.log(`\nclock offset server-parent measured per case by IPC (RTT < 1 ms); total bench time ${fix((Date.now() - t0) / 1000)} s; load average ${fix(loadavg()[0], 2)} at the end`);
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
