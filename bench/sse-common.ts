/**
 * Shared parts of the SSE bench (bench/sse.bench.ts): the event source both bench servers run
 * (the real `sse` sink in bench/sse-server.ts, bare node:http in bench/sse-baseline-server.ts),
 * the parent <-> server IPC protocol, the client filters and their expected counts, and the
 * latency histogram.
 *
 * Clocks: events carry `data.sentAt` = performance.timeOrigin + performance.now() (epoch ms,
 * sub-ms) of the server process; the parent measures the offset between the two processes'
 * clocks over IPC before each case and corrects for it.
 */
import type { Server, Socket } from "node:net";
import { performance } from "node:perf_hooks";
import type { LiveEvent } from "../core/event.js";
import { PATHS } from "../plugins/sinks/sse/paths.js";
import { compileFilter, isFilterError } from "../core/lib/filter/query.js";

export const TRACES_PATH = PATHS.traces;

/** Epoch milliseconds with sub-ms resolution, monotonic within a process. */
export function nowMs(): number {
  return performance.timeOrigin + performance.now();
}

const TYPES = ["smtp.connection-start", "smtp.mail-from", "smtp.rcpt-to", "delivery.completed", "auth.failed"];
/** Pre-built demo-like payloads (as in bench/pipeline.bench.ts), so the bench measures delivery, not the generator. */
export const POOL = Array.from({ length: 1024 }, (_, i) => ({
  type: TYPES[i % TYPES.length],
  text: "SMTP session event",
  data: { remoteIp: `192.0.2.${i % 255}`, domain: `example${i % 7}.org`, size: 1000 + i, latencyMs: i % 97, listenerId: "smtp" },
}));

// ---------------------------------------------------------------------------------------------
// IPC between the bench (parent) and a bench server (child)
// ---------------------------------------------------------------------------------------------

export interface RunCommand {
  t: "run";
  /** Events to publish. */
  count: number;
  /** Events per second; 0 = as fast as possible (`chunk` events per setImmediate). */
  rate: number;
  chunk: number;
}
/** Sent by the parent; `watchPort` = a client's local port whose server-side socket is reported. */
export type ToServer = RunCommand | { t: "clock" } | { t: "stats"; watchPort?: number } | { t: "stop" };

export interface PhaseStats {
  t: "stats";
  rssBeforeMiB: number;
  rssMaxMiB: number;
  rssAfterMiB: number;
  heapUsedMaxMiB: number;
  cpuMs: number;
  wallMs: number;
  /** Sink metrics (sse.dropped, sse.events-sent) or the baseline's counters. */
  counters: Record<string, number>;
  /** The watched socket: when its send buffer stayed non-empty from, and when it closed (server clock). */
  watched?: { found: boolean; blockedSince?: number; closedAt?: number; maxBufferedMiB: number };
}
export type FromServer =
  | { t: "ready"; url: string; pid: number }
  | { t: "clock"; now: number }
  | { t: "sent"; sent: number; startedAt: number; endedAt: number }
  | PhaseStats;

// ---------------------------------------------------------------------------------------------
// The server side: source, RSS sampling, socket watch
// ---------------------------------------------------------------------------------------------

export interface BenchTarget {
  /** Delivers one event (the sink's input Subject, or the baseline's fan-out). */
  publish(event: LiveEvent): void;
  counters(): Record<string, number>;
  close(): Promise<void>;
}

const MIB = 1024 * 1024;

/**
 * Runs the IPC loop of a bench server: publishes phases of events on command, samples RSS every
 * 20 ms while a phase is measured, and tracks the server's sockets (for the stalled-client case).
 */
export function serveBench(target: BenchTarget, server: Server, url: string): void {
  const send = (m: FromServer) => process.send!(m);
  const sockets = new Map<number, { socket: Socket; blockedSince?: number; closedAt?: number; maxBuffered: number }>();
  server.on("connection", (socket: Socket) => {
    const entry: { socket: Socket; blockedSince?: number; closedAt?: number; maxBuffered: number } = { socket, maxBuffered: 0 };
    sockets.set(socket.remotePort ?? -1, entry);
    socket.on("close", () => (entry.closedAt = nowMs()));
  });

  let rssBefore = 0;
  let rssMax = 0;
  let heapMax = 0;
  let cpu0 = process.cpuUsage();
  let wall0 = nowMs();
  const sampler = setInterval(() => {
    const rss = process.memoryUsage.rss();
    if (rss > rssMax) rssMax = rss;
    const heap = process.memoryUsage().heapUsed;
    if (heap > heapMax) heapMax = heap;
    const now = nowMs();
    for (const s of sockets.values()) {
      if (s.closedAt !== undefined) continue;
      // Sampled in a timer callback, after every corked write of the previous ticks went to the
      // kernel: bytes still buffered here are bytes the kernel refused.
      const buffered = s.socket.writableLength;
      if (buffered > s.maxBuffered) s.maxBuffered = buffered;
      if (buffered > 0) s.blockedSince ??= now;
      else s.blockedSince = undefined;
    }
  }, 20);

  const resetPhase = () => {
    rssBefore = rssMax = process.memoryUsage.rss();
    heapMax = process.memoryUsage().heapUsed;
    cpu0 = process.cpuUsage();
    wall0 = nowMs();
  };

  process.on("message", (m: ToServer) => {
    switch (m.t) {
      case "clock":
        send({ t: "clock", now: nowMs() });
        break;
      case "run":
        resetPhase();
        void runSource(target, m).then((r) => send({ t: "sent", ...r }));
        break;
      case "stats": {
        const c = process.cpuUsage(cpu0);
        const rssAfter = process.memoryUsage.rss();
        const w = m.watchPort === undefined ? undefined : sockets.get(m.watchPort);
        send({
          t: "stats",
          rssBeforeMiB: rssBefore / MIB,
          rssMaxMiB: Math.max(rssMax, rssAfter) / MIB,
          rssAfterMiB: rssAfter / MIB,
          heapUsedMaxMiB: heapMax / MIB,
          cpuMs: (c.user + c.system) / 1000,
          wallMs: nowMs() - wall0,
          counters: target.counters(),
          watched:
            m.watchPort === undefined ? undefined
            : w ? { found: true, blockedSince: w.blockedSince, closedAt: w.closedAt, maxBufferedMiB: w.maxBuffered / MIB }
            : { found: false, maxBufferedMiB: 0 },
        });
        break;
      }
      case "stop":
        clearInterval(sampler);
        void target.close().finally(() => process.exit(0));
        break;
    }
  });
  // The parent went away: never linger.
  process.on("disconnect", () => process.exit(0));
  send({ t: "ready", url, pid: process.pid });
}

/**
 * Publishes `count` demo-like events: as fast as possible (`chunk` per setImmediate, like a
 * socket source yielding between reads) or paced at `rate` per second (what is due every
 * millisecond timer tick). Each event is a fresh object carrying its send time.
 */
function runSource(target: BenchTarget, cmd: RunCommand): Promise<{ sent: number; startedAt: number; endedAt: number }> {
  return new Promise((resolve) => {
    const idBase = `${Date.now()}-`;
    let sent = 0;
    const startedAt = nowMs();
    const emit = (n: number) => {
      const createdAt = new Date().toISOString();
      const end = Math.min(cmd.count, sent + n);
      for (; sent < end; sent++) {
        const p = POOL[sent & 1023];
        const d = p.data;
        target.publish({
          id: idBase + sent,
          type: p.type,
          createdAt,
          text: p.text,
          data: { remoteIp: d.remoteIp, domain: d.domain, size: d.size, latencyMs: d.latencyMs, listenerId: d.listenerId, sentAt: nowMs() },
        });
      }
    };
    const done = () => resolve({ sent, startedAt, endedAt: nowMs() });
    if (cmd.rate <= 0) {
      const chunk = () => {
        emit(cmd.chunk);
        if (sent < cmd.count) setImmediate(chunk);
        else done();
      };
      setImmediate(chunk);
    } else {
      // What is due every millisecond timer tick; when the process fell behind (a neighbour took
      // the core), the backlog goes out in chunks of `chunk` per setImmediate, as a source
      // reading a socket would, rather than in one synchronous burst.
      const tick = () => {
        const due = Math.min(cmd.count, Math.floor(((nowMs() - startedAt) * cmd.rate) / 1000));
        if (due > sent) emit(Math.min(due - sent, cmd.chunk));
        if (sent >= cmd.count) done();
        else if (due > sent) setImmediate(tick);
        else setTimeout(tick, 1);
      };
      setTimeout(tick, 1);
    }
  });
}

// ---------------------------------------------------------------------------------------------
// Client filters and what they should receive
// ---------------------------------------------------------------------------------------------

const TEN_FILTERS = [
  "type=smtp.*",
  "type=auth.failed",
  "type=delivery.*,auth.failed",
  "remote-ip=192.0.2.1",
  "remote-ip=192.0.2.200",
  "domain=example3",
  "filter=example5",
  "listener-id=smtp&type=smtp.rcpt-to",
  "remote-ip=192.0.2.2&type=smtp.*",
  "size=10",
];

/** Query strings (without `?`) for `clients` clients: "" = unfiltered. Distinct when `distinct`. */
export function filtersFor(clients: number, distinct: boolean): string[] {
  if (!distinct) return Array.from({ length: clients }, () => "");
  if (clients === 1) return ["type=smtp.*"];
  if (clients <= TEN_FILTERS.length) return TEN_FILTERS.slice(0, clients);
  // The example: one remote address per client (substring semantics: .1 also gets .10-.19, .100-.199).
  return Array.from({ length: clients }, (_, k) => `remote-ip=192.0.2.${k + 1}`);
}

/**
 * How many of the first `count` events of a phase the filter keeps, by the very predicate the
 * sink uses (core/lib/filter/). Filters here never look at `sentAt`.
 */
export function expectedCount(query: string, count: number): number {
  const f = compileFilter(new URLSearchParams(query));
  if (isFilterError(f)) throw new Error(`bad bench filter ${query}: ${f.details}`);
  const perPool = POOL.map((p, i) => (f.matchesAll || f.predicate({ id: `x-${i}`, type: p.type, createdAt: "", text: p.text, data: { ...p.data, sentAt: 0 } }) ? 1 : 0));
  let full = 0;
  for (const m of perPool) full += m;
  let n = Math.floor(count / 1024) * full;
  for (let i = 0; i < count % 1024; i++) n += perPool[i];
  return n;
}

// ---------------------------------------------------------------------------------------------
// Latency histogram
// ---------------------------------------------------------------------------------------------

/** 0.1 ms buckets to 1 s, then 1 ms buckets to 60 s (anything above lands in the last). */
export class LatencyHistogram {
  private readonly buckets = new Uint32Array(10_000 + 59_000 + 1);
  count = 0;
  max = 0;
  min = Infinity;

  record(ms: number): void {
    if (ms < 0) ms = 0; // clock offset residue
    const i = ms < 1000 ? Math.floor(ms * 10) : Math.min(this.buckets.length - 1, 10_000 + Math.floor(ms - 1000));
    this.buckets[i]++;
    this.count++;
    if (ms > this.max) this.max = ms;
    if (ms < this.min) this.min = ms;
  }

  /** Upper edge of the bucket holding the q-quantile. */
  quantile(q: number): number {
    if (this.count === 0) return NaN;
    const rank = Math.ceil(q * this.count);
    let seen = 0;
    for (let i = 0; i < this.buckets.length; i++) {
      seen += this.buckets[i];
      if (seen >= rank) return i < 10_000 ? (i + 1) / 10 : 1000 + (i - 10_000 + 1);
    }
    return this.max;
  }

  reset(): void {
    this.buckets.fill(0);
    this.count = 0;
    this.max = 0;
    this.min = Infinity;
  }
}
