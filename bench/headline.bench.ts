/**
 * The headline path against hand-written Node, and syslog ingest against rsyslogd. Not a test:
 * figures go to stdout. Run with `npm run bench:headline` (builds first). Loopback only; every
 * server on a free port, rsyslogd in a temp dir with its own config.
 *
 * Headline: syslog over TCP (BENCH_HEADLINE_CONNECTIONS = 4 connections, RFC 6587 octet
 * counting, ~250-byte RFC 5424 lines with one structured-data element, generator in its own
 * process: bench/headline-generator.ts) -> include filter keeping half (MSGID `ACCESS`) -> `sse`
 * sink -> one client (this process) reading at full speed. The same job served by
 * bench/headline-baseline-server.ts (bare node:net + node:http). Each server is a fresh process
 * per round, apart from the generator and from this reading client; rounds alternate which one
 * goes first. Per round and server:
 *   - saturated: BENCH_HEADLINE_N messages as fast as the sockets take them; delivered events/s
 *     = events the client got / (last batch received - generator start); server CPU (utime +
 *     stime from /proc/PID/stat) per 1k messages sent; peak RSS = VmHWM of /proc/PID/status.
 *   - latency: 20k msgs/s for BENCH_HEADLINE_LATENCY_S seconds, each line stamped with its send
 *     time; p50/p99 of receive - send over the events the client got.
 * Ingest: the same generator into syslog -> blackhole (counter `blackhole.events`), on the main
 * thread (the default) and with `threaded: true`, against rsyslogd imtcp -> omfile (a 7-byte
 * line per message, counted by file size).
 * Medians over BENCH_HEADLINE_ROUNDS rounds (default 3); the load average is printed with them.
 */
import { fork, spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import http from "node:http";
import net from "node:net";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { GeneratorJob } from "./headline-generator.js";
import { LatencyHistogram, nowMs } from "./sse-common.js";

const N = Number(process.env.BENCH_HEADLINE_N ?? 400_000);
const INGEST_N = Number(process.env.BENCH_HEADLINE_INGEST_N ?? 1_000_000);
const ROUNDS = Number(process.env.BENCH_HEADLINE_ROUNDS ?? 3);
const CONNECTIONS = Number(process.env.BENCH_HEADLINE_CONNECTIONS ?? 4);
const LATENCY_RATE = 20_000;
const LATENCY_S = Number(process.env.BENCH_HEADLINE_LATENCY_S ?? 5);
/** BENCH_HEADLINE_ONLY=headline|ingest runs one of the two parts (while working on it). */
const ONLY = process.env.BENCH_HEADLINE_ONLY;
const KEEP = "ACCESS";
/** A phase that makes no progress this long is over (drops or a stuck server). */
const STALL_MS = 3_000;
const TRACES = "/api/telemetry/traces/live";

const here = (file: string): string => fileURLToPath(new URL(file, import.meta.url));
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

// ---------------------------------------------------------------------------------------------
// /proc of the server process
// ---------------------------------------------------------------------------------------------

const TICK_MS = 10; // CLK_TCK 100 on Linux
function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" "); // after "pid (comm) "
  return (Number(fields[11]) + Number(fields[12])) * TICK_MS; // utime, stime
}
function peakRssMiB(pid: number): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) / 1024 : NaN;
}

// ---------------------------------------------------------------------------------------------
// Processes
// ---------------------------------------------------------------------------------------------

interface Server {
  pid: number;
  child: ChildProcess;
  syslogPort: number;
  httpPort: number;
  /** A counter of the livetap pipeline (blackhole case). */
  counter(id: string): Promise<number>;
  stop(): Promise<void>;
}

async function startServer(kind: "baseline" | "livetap", pipeline: "headline" | "blackhole" = "headline", threaded = false): Promise<Server> {
  const syslogPort = await freePort();
  const httpPort = await freePort();
  const syslog = { type: "syslog", mode: "tcp", address: `127.0.0.1:${syslogPort}`, framing: "octet-counting", threaded };
  const config =
    pipeline === "blackhole" ? { sources: { in: syslog }, sinks: { out: { type: "blackhole", inputs: ["in"] } } }
    : {
        sources: { in: syslog },
        operators: { half: { type: "filter", inputs: ["in"], include: { msgId: KEEP } } },
        sinks: { live: { type: "sse", inputs: ["half"], address: `127.0.0.1:${httpPort}` } },
      };
  const child =
    kind === "baseline" ?
      fork(here("./headline-baseline-server.js"), [JSON.stringify({ syslogPort, httpPort, keep: KEEP })], { stdio: "inherit" })
    : fork(here("./headline-livetap-server.js"), [JSON.stringify(config)], { stdio: "inherit", execArgv: serverExecArgv() });
  const pid = await new Promise<number>((resolve, reject) => {
    child.once("message", (m: { t: string; pid: number }) => resolve(m.pid));
    child.once("exit", (code) => reject(new Error(`${kind} server exited (${code}) before ready`)));
  });
  return {
    pid,
    child,
    syslogPort,
    httpPort,
    counter: (id) =>
      new Promise((resolve) => {
        child.once("message", (m: { value: number }) => resolve(m.value));
        child.send({ t: "counter", id });
      }),
    stop: async () => {
      const exited = new Promise((r) => child.once("exit", r));
      if (kind === "livetap") child.send({ t: "stop" });
      const killer = setTimeout(() => child.kill("SIGKILL"), kind === "livetap" ? 10_000 : 0);
      await exited;
      clearTimeout(killer);
    },
  };
}

/**
 * BENCH_HEADLINE_PROFILE=cpu|heap: the livetap server writes a V8 profile to ./profiles.
 * BENCH_HEADLINE_NODE_ARGS: more node flags for it, space-separated (`--trace-gc`, `--import x.mjs`).
 */
function serverExecArgv(): string[] {
  const p = process.env.BENCH_HEADLINE_PROFILE;
  const extra = (process.env.BENCH_HEADLINE_NODE_ARGS ?? "").split(" ").filter((a) => a !== "");
  return [...(p === "cpu" ? ["--cpu-prof", "--cpu-prof-dir=profiles"] : p === "heap" ? ["--heap-prof", "--heap-prof-dir=profiles"] : []), ...extra];
}

interface GeneratorRun {
  sent: number;
  startedAt: number;
  endedAt: number;
}
function generate(port: number, total: number, rate: number): Promise<GeneratorRun> {
  const child = fork(here("./headline-generator.js"), [], { stdio: "inherit" });
  const job: GeneratorJob = { port, total, rate, connections: CONNECTIONS };
  child.send(job);
  return new Promise((resolve) => child.once("message", (m: GeneratorRun) => resolve(m)));
}

// ---------------------------------------------------------------------------------------------
// The reading client
// ---------------------------------------------------------------------------------------------

class Reader {
  events = 0;
  lastAt = 0;
  readonly latency = new LatencyHistogram();
  measureLatency = false;
  /** The frame being received, in the pieces it came in (joined once, when it ends). */
  private parts: string[] = [];
  /** The last piece ended with "\n" (a frame end may straddle two reads). */
  private tailNewline = false;
  private req: http.ClientRequest | undefined;

  connect(port: number): Promise<void> {
    return new Promise((resolve, reject) => {
      this.req = http.get({ host: "127.0.0.1", port, path: TRACES }, (res) => {
        if (res.statusCode !== 200) return reject(new Error(`GET ${TRACES}: ${res.statusCode}`));
        res.setEncoding("utf8");
        res.on("data", (s: string) => this.onData(s));
        resolve();
      });
      this.req.on("error", reject);
    });
  }

  // Each read is scanned once: a 100 ms batch is megabytes, so re-scanning a growing buffer
  // would make this client, not the server, the bottleneck.
  private onData(s: string): void {
    let from = 0;
    if (this.tailNewline && s.startsWith("\n")) {
      this.onFrame(this.parts.join("").slice(0, -1));
      this.parts = [];
      from = 1;
    }
    let end: number;
    while ((end = s.indexOf("\n\n", from)) >= 0) {
      this.parts.push(s.slice(from, end));
      this.onFrame(this.parts.join(""));
      this.parts = [];
      from = end + 2;
    }
    const rest = from === 0 ? s : s.slice(from);
    if (rest !== "") this.parts.push(rest);
    this.tailNewline = rest.endsWith("\n");
  }

  private onFrame(frame: string): void {
    const dataAt = frame.indexOf("data: ");
    if (dataAt < 0 || !frame.slice(0, dataAt).includes("event: trace")) return;
    const at = nowMs();
    const data = frame.slice(dataAt + 6);
    if (this.measureLatency) {
      for (const e of JSON.parse(data) as { data: { message: string } }[]) {
        const m = /sent=(\d+\.\d+)/.exec(e.data.message);
        if (m) this.latency.record(at - Number(m[1]));
        this.events++;
      }
    } else {
      // Counting without parsing keeps this client ahead of any server.
      for (let i = data.indexOf('"type":"syslog.message"'); i >= 0; i = data.indexOf('"type":"syslog.message"', i + 20)) this.events++;
    }
    this.lastAt = at;
  }

  close(): void {
    this.req?.destroy();
  }
}

/** Waits until `progress()` reaches `target` or stops moving for STALL_MS; returns the final value. */
async function settle(progress: () => number | Promise<number>, target: number): Promise<number> {
  let last = -1;
  let since = nowMs();
  for (;;) {
    const v = await progress();
    if (v >= target) return v;
    if (v !== last) [last, since] = [v, nowMs()];
    else if (nowMs() - since > STALL_MS) return v;
    await sleep(20);
  }
}

// ---------------------------------------------------------------------------------------------
// Cases
// ---------------------------------------------------------------------------------------------

interface HeadlineRound {
  eventsPerS: number;
  cpuMsPer1k: number;
  peakRssMiB: number;
  p50: number;
  p99: number;
  delivered: number;
  latencyDelivered: number;
}

async function headlineRound(kind: "baseline" | "livetap"): Promise<HeadlineRound> {
  const server = await startServer(kind);
  try {
    const reader = new Reader();
    await reader.connect(server.httpPort);
    await sleep(200);
    const cpu0 = cpuMs(server.pid);
    const run = generate(server.syslogPort, N, 0);
    const { startedAt } = await run;
    await settle(() => reader.events, N / 2);
    const cpu = cpuMs(server.pid) - cpu0;
    const delivered = reader.events;
    const eventsPerS = (delivered / (reader.lastAt - startedAt)) * 1000;
    const peak = peakRssMiB(server.pid);

    reader.events = 0;
    reader.measureLatency = true;
    const count = LATENCY_RATE * LATENCY_S;
    await generate(server.syslogPort, count, LATENCY_RATE);
    await settle(() => reader.events, count / 2);
    reader.close();
    return { eventsPerS, cpuMsPer1k: cpu / (N / 1000), peakRssMiB: peak, p50: reader.latency.quantile(0.5), p99: reader.latency.quantile(0.99), delivered, latencyDelivered: reader.events };
  } finally {
    await server.stop();
  }
}

async function livetapIngest(threaded: boolean): Promise<{ rate: number; cpuMsPer1k: number }> {
  const server = await startServer("livetap", "blackhole", threaded);
  try {
    const cpu0 = cpuMs(server.pid);
    const run = generate(server.syslogPort, INGEST_N, 0);
    let doneAt = 0;
    const got = await settle(async () => {
      const v = await server.counter("blackhole.events");
      doneAt = nowMs();
      return v;
    }, INGEST_N);
    const { startedAt } = await run;
    return { rate: (got / (doneAt - startedAt)) * 1000, cpuMsPer1k: (cpuMs(server.pid) - cpu0) / (INGEST_N / 1000) };
  } finally {
    await server.stop();
  }
}

const RSYSLOG_LINE = 7; // "ACCESS\n" or "AUDIT \n" (the template pads MSGID to 6)
async function rsyslogIngest(): Promise<{ rate: number; cpuMsPer1k: number }> {
  const dir = mkdtempSync(join(tmpdir(), "livetap-headline-rsyslog-"));
  const port = await freePort();
  const out = join(dir, "out.log");
  writeFileSync(
    join(dir, "rsyslog.conf"),
    [
      `global(workDirectory="${dir}")`,
      `module(load="imtcp")`,
      `input(type="imtcp" port="${port}" address="127.0.0.1")`,
      `template(name="bench" type="list") { property(name="msgid" fixedWidth="on" position.from="1" position.to="6") constant(value="\\n") }`,
      `*.* action(type="omfile" file="${out}" template="bench")`,
    ].join("\n"),
  );
  const child = spawn("rsyslogd", ["-n", "-f", join(dir, "rsyslog.conf"), "-i", join(dir, "rsyslog.pid")], { stdio: "inherit" });
  try {
    for (let i = 0; ; i++) {
      const ok = await new Promise<boolean>((r) => net.connect(port, "127.0.0.1").once("connect", function (this: net.Socket) { this.destroy(); r(true); }).once("error", () => r(false)));
      if (ok) break;
      if (i > 200) throw new Error("rsyslogd did not listen");
      await sleep(25);
    }
    const cpu0 = cpuMs(child.pid!);
    const run = generate(port, INGEST_N, 0);
    let doneAt = 0;
    const lines = () => {
      doneAt = nowMs();
      try {
        return Math.floor(statSync(out).size / RSYSLOG_LINE);
      } catch {
        return 0;
      }
    };
    const got = await settle(lines, INGEST_N);
    const { startedAt } = await run;
    return { rate: (got / (doneAt - startedAt)) * 1000, cpuMsPer1k: (cpuMs(child.pid!) - cpu0) / (INGEST_N / 1000) };
  } finally {
    child.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------
// Main
// ---------------------------------------------------------------------------------------------

const fmtK = (n: number): string => `${Math.round(n).toLocaleString("en-US")}`;
const row = (label: string, a: string, b: string, r: string): string => `| ${label.padEnd(38)} | ${a.padStart(10)} | ${b.padStart(10)} | ${r.padStart(5)} |`;

console.log(`headline: ${N} msgs saturated, ${LATENCY_RATE} msgs/s for ${LATENCY_S} s, ${CONNECTIONS} connections, ${ROUNDS} rounds; ingest: ${INGEST_N} msgs`);
const load0 = loadavg()[0];
const base: HeadlineRound[] = [];
const live: HeadlineRound[] = [];
for (let round = 0; round < (ONLY === "ingest" ? 0 : ROUNDS); round++) {
  const order: ("baseline" | "livetap")[] = round % 2 === 0 ? ["baseline", "livetap"] : ["livetap", "baseline"];
  for (const kind of order) {
    const r = await headlineRound(kind);
    (kind === "baseline" ? base : live).push(r);
    console.log(
      `  round ${round + 1} ${kind.padEnd(8)} ${fmtK(r.eventsPerS).padStart(8)} ev/s (${r.delivered}/${N / 2})  ${r.cpuMsPer1k.toFixed(2)} CPU ms/1k  ` +
        `${r.peakRssMiB.toFixed(0)} MiB  p50 ${r.p50.toFixed(1)} p99 ${r.p99.toFixed(1)} ms (${r.latencyDelivered}/${(LATENCY_RATE * LATENCY_S) / 2})  load ${loadavg()[0].toFixed(1)}`,
    );
  }
}
type Ingest = { rate: number; cpuMsPer1k: number };
const ingestL: Ingest[] = [];
const ingestT: Ingest[] = [];
const ingestR: Ingest[] = [];
const ingestRuns: [string, () => Promise<Ingest>, Ingest[]][] = [
  ["rsyslogd", rsyslogIngest, ingestR],
  ["livetap ", () => livetapIngest(false), ingestL],
  ["threaded", () => livetapIngest(true), ingestT],
];
for (let round = 0; round < (ONLY === "headline" ? 0 : ROUNDS); round++) {
  // Each round starts with the next one of the three, so none always goes first.
  for (let k = 0; k < ingestRuns.length; k++) {
    const [name, run, into] = ingestRuns[(round + k) % ingestRuns.length];
    const r = await run();
    into.push(r);
    console.log(`  round ${round + 1} ingest ${name} ${fmtK(r.rate).padStart(9)} msgs/s  ${r.cpuMsPer1k.toFixed(2)} CPU ms/1k  load ${loadavg()[0].toFixed(1)}`);
  }
}
const load1 = loadavg()[0];

const m = (rs: HeadlineRound[], k: keyof HeadlineRound): number => median(rs.map((r) => r[k]));
const ratio = (a: number, b: number): string => (b / a).toFixed(2);
console.log(`\nMedians of ${ROUNDS} rounds, load average ${load0.toFixed(1)} -> ${load1.toFixed(1)} (2 cores)\n`);
if (ONLY !== "ingest") {
  console.log(row("", "bare Node", "livetap", "ratio"));
  console.log("|---|---|---|---|");
  console.log(row("delivered events/s, saturated", fmtK(m(base, "eventsPerS")), fmtK(m(live, "eventsPerS")), ratio(m(base, "eventsPerS"), m(live, "eventsPerS"))));
  console.log(row("server CPU ms per 1k messages", m(base, "cpuMsPer1k").toFixed(2), m(live, "cpuMsPer1k").toFixed(2), ratio(m(base, "cpuMsPer1k"), m(live, "cpuMsPer1k"))));
  console.log(row("peak RSS MiB", m(base, "peakRssMiB").toFixed(0), m(live, "peakRssMiB").toFixed(0), ratio(m(base, "peakRssMiB"), m(live, "peakRssMiB"))));
  console.log(row(`p99 latency ms at ${LATENCY_RATE / 1000}k msgs/s`, m(base, "p99").toFixed(1), m(live, "p99").toFixed(1), ratio(m(base, "p99"), m(live, "p99"))));
}
if (ONLY !== "headline") {
  const rate = (rs: Ingest[]) => median(rs.map((r) => r.rate));
  const cpu = (rs: Ingest[]) => median(rs.map((r) => r.cpuMsPer1k));
  const row3 = (label: string, a: string, b: string, c: string, rb: string, rc: string): string =>
    `| ${label.padEnd(30)} | ${a.padStart(10)} | ${b.padStart(10)} | ${c.padStart(10)} | ${rb.padStart(5)} | ${rc.padStart(5)} |`;
  console.log(`\n${row3("syslog TCP -> blackhole", "rsyslogd", "livetap", "threaded", "ratio", "ratio")}`);
  console.log("|---|---|---|---|---|---|");
  console.log(row3("msgs/s", fmtK(rate(ingestR)), fmtK(rate(ingestL)), fmtK(rate(ingestT)), ratio(rate(ingestR), rate(ingestL)), ratio(rate(ingestR), rate(ingestT))));
  console.log(row3("server CPU ms per 1k messages", cpu(ingestR).toFixed(2), cpu(ingestL).toFixed(2), cpu(ingestT).toFixed(2), ratio(cpu(ingestR), cpu(ingestL)), ratio(cpu(ingestR), cpu(ingestT))));
}
