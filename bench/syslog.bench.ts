/**
 * Syslog source speed, against the npm syslog parsers (devDependencies `nsyslog-parser` and
 * `glossy`). Not a test: figures go to stdout. Run with
 *   npm run build && node dist-test/bench/syslog.bench.js
 * Bounded: a fixed message count per case (BENCH_SYSLOG_PARSE, BENCH_SYSLOG_TCP) and a 120 s
 * cap on each TCP run; loopback only.
 *
 * 1. Parser throughput on realistic ~256-byte RFC 5424 lines (structured data, microsecond
 *    stamps with an offset), one core. The npm parsers get strings already decoded (their
 *    API), ours gets the Buffer as it comes off the socket, decoding included.
 * 2. End-to-end TCP ingest: octet-counted frames over several loopback connections from a
 *    load generator in a child process, into a counting subscriber of the real source; then
 *    the same sockets and framer with the best npm parser in place of ours.
 */
import "reflect-metadata";
import { createRequire } from "node:module";
import net from "node:net";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { asyncScheduler } from "rxjs";
import { componentMetrics, MetricsRegistry } from "../core/testing.js";
import { Framer } from "../plugins/sources/syslog/framing.js";
import { SyslogOptions } from "../plugins/sources/syslog/options.js";
import { IsoClock, UTC, parseSyslog, type ParseContext } from "../plugins/sources/syslog/parse.js";
import { SyslogSource } from "../plugins/sources/syslog/syslog.js";

const require = createRequire(import.meta.url);
const nsyslog = require("nsyslog-parser") as (line: string, opts?: object) => Record<string, unknown>;
const glossy = (require("glossy") as { Parse: { parse(m: string): Record<string, unknown> } }).Parse;

const PARSE_N = Number(process.env.BENCH_SYSLOG_PARSE ?? 1_000_000);
const TCP_N = Number(process.env.BENCH_SYSLOG_TCP ?? 1_000_000);
const CONNECTIONS = Number(process.env.BENCH_SYSLOG_CONNECTIONS ?? 4);
const ROUNDS = 5;

const APPS = ["nginx", "sshd", "postfix/smtpd", "kubelet", "api-gateway", "billing-worker"];
const ROUTES = ["/api/v1/orders", "/api/v1/users/me", "/healthz", "/api/v2/search?q=shoes", "/static/app.js"];
/** 1024 lines over ~10 s of stamps, in time order, each about 256 bytes. */
function realisticLines(): Buffer[] {
  const start = Date.parse("2026-11-25T11:00:00Z");
  return Array.from({ length: 1024 }, (_, i) => {
    const t = new Date(start + i * 10 + 0.123);
    const local = new Date(t.getTime() + 3_600_000).toISOString().slice(0, 23);
    const stamp = `${local}${String(i % 1000).padStart(3, "0")}+01:00`;
    const app = APPS[i % APPS.length];
    const route = ROUTES[i % ROUTES.length];
    let line =
      `<${128 + (i % 64)}>1 ${stamp} web-${String(i % 32).padStart(2, "0")}.prod.example.com ${app} ${10_000 + i} ACCESS ` +
      `[req@32473 id="f3c9a1b2-77aa-4e1b-${String(i).padStart(4, "0")}-2f0e5a6b7c8d" route="${route}" status="${[200, 201, 404, 500][i % 4]}"] ` +
      `GET ${route} 200 ${1000 + i} "Mozilla/5.0 (X11; Linux x86_64)" rt=0.0${i % 90}`;
    while (line.length < 256) line += " ";
    return Buffer.from(line.slice(0, Math.max(256, line.length)));
  });
}

function rate(n: number, ms: number): number {
  return Math.round((n / ms) * 1000);
}
const fmt = (r: number): string => `${(r / 1000).toFixed(0).padStart(6)}k msg/s`;

/**
 * Best of ROUNDS, by wall clock and by CPU time of this process (messages per CPU-second: what
 * one core does, whatever else runs on the machine).
 */
function bestOf(label: string, body: () => number): number {
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    const n = body();
    wall.push(rate(n, performance.now() - t0));
    const c = process.cpuUsage(c0);
    cpu.push(rate(n, (c.user + c.system) / 1000));
  }
  wall.sort((a, b) => a - b);
  cpu.sort((a, b) => a - b);
  const best = cpu[cpu.length - 1];
  console.log(`  ${label.padEnd(38)} ${fmt(best)} per CPU-second   wall: best ${fmt(wall[wall.length - 1])}, median ${fmt(wall[Math.floor(wall.length / 2)])}`);
  return best;
}

function parserBench(): Record<string, number> {
  const lines = realisticLines();
  const strings = lines.map((b) => b.toString());
  const avg = Math.round(lines.reduce((s, b) => s + b.length, 0) / lines.length);
  console.log(`\nParser throughput: ${PARSE_N} RFC 5424 lines of ~${avg} bytes per round, best of ${ROUNDS}, one core`);
  const ctx: ParseContext = { zone: UTC, now: () => Date.now(), remoteIp: "192.0.2.7", iso: new IsoClock() };
  let sink = 0;
  const ours = bestOf("livetap parseSyslog (from Buffer)", () => {
    for (let i = 0; i < PARSE_N; i++) sink += parseSyslog(lines[i & 1023], ctx).data.procId === undefined ? 0 : 1;
    return PARSE_N;
  });
  const ns = bestOf("nsyslog-parser 0.10 (from string)", () => {
    const n = PARSE_N / 4;
    for (let i = 0; i < n; i++) sink += nsyslog(strings[i & 1023], { cef: false, leef: false, fields: false }) ? 1 : 0;
    return n;
  });
  const gl = bestOf("glossy 0.1.7 (from string)", () => {
    const n = PARSE_N / 4;
    for (let i = 0; i < n; i++) sink += glossy.parse(strings[i & 1023]) ? 1 : 0;
    return n;
  });
  if (sink === 0) console.log("(sink)");

  // What each gets right on one line, so the speeds compare like with like.
  const sample = '<165>1 2003-10-11T22:14:15.003Z host app 42 ID47 [a@1 q="say \\"hi\\"" r="x\\]y" r="z"][b@2 k="v"] \uFEFFmsg';
  const mine = parseSyslog(Buffer.from(sample), ctx);
  console.log("\n  on", JSON.stringify(sample));
  console.log("  livetap        ", JSON.stringify({ createdAt: mine.createdAt, ...mine.data }));
  const n = nsyslog(sample);
  console.log("  nsyslog-parser ", JSON.stringify({ ts: n.ts, host: n.host, appName: n.appName, pid: n.pid, messageid: n.messageid, structuredData: n.structuredData, message: n.message }));
  const g = glossy.parse(sample);
  console.log("  glossy         ", JSON.stringify({ time: g.time, host: g.host, appName: g.appName, pid: g.pid, msgID: g.msgID, structuredData: g.structuredData, message: g.message }));
  return { ours, nsyslog: ns, glossy: gl };
}

/** Load generator: `connections` sockets each writing its share of `total` octet-counted frames, with backpressure. */
const GENERATOR = `
const net = require("node:net");
const fs = require("node:fs");
const { port, total, connections, file } = JSON.parse(process.env.SYSLOG_BENCH_JOB);
const lines = JSON.parse(fs.readFileSync(file, "utf8")).map((l) => Buffer.from(l, "base64"));
const encode = (ls) => Buffer.concat(ls.map((l) => Buffer.concat([Buffer.from(l.length + " "), l])));
const frames = encode(lines);
let done = 0;
for (let c = 0; c < connections; c++) {
  const share = Math.floor(total / connections) + (c < total % connections ? 1 : 0);
  const s = net.connect({ port, host: "127.0.0.1" }, () => {
    let sent = 0;
    const pump = () => {
      while (sent < share) {
        const n = Math.min(lines.length, share - sent);
        sent += n;
        if (!s.write(n === lines.length ? frames : encode(lines.slice(0, n)))) return s.once("drain", pump);
      }
      s.end();
    };
    pump();
  });
  s.on("close", () => { if (++done === connections) process.exit(0); });
}
`;

/** Runs the generator in its own process, so this process's CPU time is the receiver's alone. */
function generate(port: number, total: number, file: string): ChildProcess {
  const job = JSON.stringify({ port, total, connections: CONNECTIONS, file });
  return spawn(process.execPath, ["-e", GENERATOR], { env: { ...process.env, SYSLOG_BENCH_JOB: job }, stdio: "inherit" });
}

async function timed(label: string, count: () => number, port: number, file: string): Promise<Rates> {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const generator = generate(port, TCP_N, file);
  const deadline = t0 + 120_000;
  while (count() < TCP_N && performance.now() < deadline) await new Promise((r) => setTimeout(r, 5));
  const ms = performance.now() - t0;
  const c = process.cpuUsage(c0);
  if (generator.exitCode === null) generator.kill();
  const got = count();
  const wall = rate(got, ms);
  const cpu = rate(got, (c.user + c.system) / 1000);
  console.log(`  ${label.padEnd(38)} ${fmt(wall)} wall, ${fmt(cpu)} per receiver CPU-second   (${got} of ${TCP_N} in ${ms.toFixed(0)} ms)`);
  return [wall, cpu];
}

type Rates = [wall: number, perCpuSecond: number];
async function tcpBench(): Promise<{ ours: Rates; nsyslog: Rates; glossy: Rates }> {
  const dir = mkdtempSync(join(tmpdir(), "livetap-syslog-bench-"));
  const lines = join(dir, "lines.json");
  writeFileSync(lines, JSON.stringify(realisticLines().map((b) => b.toString("base64"))));
  console.log(`\nEnd-to-end TCP ingest: ${TCP_N} octet-counted ~256-byte RFC 5424 messages over ${CONNECTIONS} loopback connections (generator in a child process)`);

  const metrics = new MetricsRegistry();
  const source = new SyslogSource(SyslogOptions.parse({ mode: "tcp", address: "127.0.0.1:0" }), pino({ level: "silent" }), componentMetrics(metrics, "sources.syslog"), asyncScheduler);
  await source.start();
  let n = 0;
  let bad = 0;
  const sub = source.events().subscribe((e) => {
    n++;
    if (e.type !== "syslog.message") bad++;
  });
  const ours = await timed("livetap syslog source", () => n, source.boundAddress()!.port, lines);
  if (bad > 0) console.log(`  (!) ${bad} unparsed`);
  sub.unsubscribe();
  await source.stop();

  // The same sockets and framing with an npm parser in place of ours: what each allows.
  const npm = async (label: string, parse: (line: string) => unknown): Promise<Rates> => {
    let m = 0;
    const server = net.createServer((socket) => {
      const framer = new Framer("auto", 102_400, (b, start, end) => {
        if (parse(b.toString("utf8", start, end))) m++;
      });
      socket.on("data", (chunk: Buffer) => framer.push(chunk));
      socket.on("end", () => framer.end());
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const r = await timed(label, () => m, (server.address() as net.AddressInfo).port, lines);
    await new Promise((resolve) => server.close(resolve));
    return r;
  };
  const theirs = await npm("same sockets + framer + nsyslog-parser", (l) => nsyslog(l, { cef: false, leef: false, fields: false }));
  const glossyRate = await npm("same sockets + framer + glossy", (l) => glossy.parse(l));
  rmSync(dir, { recursive: true, force: true });
  return { ours, nsyslog: theirs, glossy: glossyRate };
}

const parse = parserBench();
const tcp = await tcpBench();
console.log("\nSummary");
console.log(`  parser:  livetap ${fmt(parse.ours)} per CPU-second (target >= 500k) = ${(parse.ours / parse.nsyslog).toFixed(1)}x nsyslog-parser, ${(parse.ours / parse.glossy).toFixed(1)}x glossy`);
const ratio = (i: 0 | 1, other: Rates) => (tcp.ours[i] / other[i]).toFixed(1);
console.log(`  tcp e2e: livetap ${fmt(tcp.ours[0])} wall (target >= 150k) = ${ratio(0, tcp.nsyslog)}x the nsyslog-parser pipeline, ${ratio(0, tcp.glossy)}x the glossy pipeline`);
console.log(`           per receiver CPU-second: ${fmt(tcp.ours[1])} = ${ratio(1, tcp.nsyslog)}x nsyslog-parser's, ${ratio(1, tcp.glossy)}x glossy's`);
