/**
 * The sockets of one syslog source, from bind to close: a UDP socket, or a TCP/TLS server
 * and its connections (stream-server.ts: reading, framing and scanning; on this thread, or in
 * the source's receive thread with `threaded`), whose frames become events here. Bound before
 * the pipeline runs; events flow once `attach`ed (UDP datagrams that come earlier wait in a
 * small queue, TCP connections are simply not read).
 */
import dgram from "node:dgram";
import { lookup } from "node:dns/promises";
import { readFile } from "node:fs/promises";
import net from "node:net";
import tls from "node:tls";
import { Worker } from "node:worker_threads";
import type { SchedulerLike } from "rxjs";
import { type Counter, type Delivery, type Gauge, type LiveEventInput, type Logger, type Metrics, PluginProblems, type Problem } from "../../../core/index.js";
import { utf8Boundary } from "../../../core/kit.js";
import type { SyslogOptions } from "./options.js";
import { parseSyslog, unparsedFrame } from "./parse.js";
import { buildRfc5424 } from "./parse-rfc5424.js";
import { NameCache } from "./names.js";
import { Text, type ParseContext } from "./pri.js";
import { REC } from "./scan-rfc5424.js";
import { StreamServer, type LocalFrames } from "./stream-server.js";
import { FRAME_INTS, FRAMING_ERROR, plainIp, SCANNED, type Frames, type FromThread, type ThreadConfig, type ToThread } from "./thread-protocol.js";
import { IsoClock, type Zone } from "./time.js";

/** Datagrams kept while nobody is subscribed yet (between start() and the pipeline's connect). */
const EARLY_DATAGRAMS = 10_000;
/** Ask the kernel for this much UDP receive buffer; bursts are lost when it overflows. */
const UDP_RECV_BUFFER = 8 * 1024 * 1024;

export interface Emitter {
  next(event: LiveEventInput): void;
  complete(): void;
  /** The receive thread failed: the source cannot go on. */
  error(err: Error): void;
}

export interface ReceiverDeps {
  opts: SyslogOptions;
  host: string;
  port: number;
  zone: Zone;
  log: Logger;
  metrics: Metrics;
  clock: SchedulerLike;
  delivery: Delivery;
  /** Datagrams dropped at maxPendingEvents (`sources.<name>.dropped`). */
  dropped: Counter;
  /** The receive thread's script; tests put one that fails here (default: receive-thread.js of the build). */
  threadScript?: URL;
}

export interface BoundAddress {
  address: string;
  port: number;
  family: "IPv4" | "IPv6";
}

interface Meters {
  parseErrors: Counter;
  truncated: Counter;
  connections: Gauge;
  rejected: Counter;
}

/**
 * How the receiver talks to its StreamServer: messages to it, a process-liveness reference,
 * and its end. The server is on this thread or in a worker; the receiver does not care.
 */
interface StreamLink {
  send(m: ToThread): void;
  ref(): void;
  unref(): void;
  end(): void;
}

/** The receive thread's script: next to this module in the build (tests run the sources through vite, a worker loads the build). */
function threadScript(): URL {
  const here = import.meta.url;
  if (!here.endsWith(".ts")) return new URL("./receive-thread.js", here);
  return new URL("../../../dist/plugins/sources/syslog/receive-thread.js", here);
}

export class Receiver {
  private emitter: Emitter | undefined;
  private readonly early: LiveEventInput[] = [];
  private earlyDropped = 0;
  private draining = false;
  private detached = false;
  private closed: Promise<void> | undefined;
  private readonly meters: Meters;
  private readonly iso = new IsoClock();
  private readonly names = new NameCache();
  private lastWarnAt = Number.NEGATIVE_INFINITY;
  private unreported = { truncated: 0, parseErrors: 0 };
  /**
   * Events of the read chunk (tcp/tls) or event-loop turn (udp) being handled: tracked as one
   * batch, which is what keeps acknowledgements cheap.
   */
  private batch: LiveEventInput[] | undefined;
  private udpBatchScheduled = false;
  /** Connections paused at maxPendingEvents, resumed by onCapacity. */
  private paused = false;
  /** tcp/tls: where the server listens, and the context of each of its connections. */
  private streamAddress: BoundAddress | undefined;
  private readonly contexts = new Map<number, ParseContext>();
  private streamClosed: (() => void) | undefined;
  private streamGone = false;
  /** Thread messages that wait while the pipeline is at maxPendingEvents (see fromStream). */
  private readonly held: FromThread[] = [];
  private closing = false;
  /** Why the receive thread ended before its close. */
  private failure: Error | undefined;

  private constructor(
    private readonly deps: ReceiverDeps,
    private readonly udp: dgram.Socket | undefined,
    private readonly stream: StreamLink | undefined,
  ) {
    const m = deps.metrics;
    this.meters = {
      parseErrors: m.counter("syslog.parse-errors", "Syslog messages that could not be parsed (emitted as syslog.unparsed)"),
      truncated: m.counter("syslog.truncated", "Syslog messages cut at maxLength"),
      connections: m.gauge("syslog.connections", "Open syslog tcp/tls connections"),
      rejected: m.counter("syslog.connections-rejected", "Syslog tcp/tls connections closed at once for being over maxConnections"),
    };
  }

  /** Binds the socket; a problem (address in use, unreadable TLS file) is a PluginProblems at its option path. */
  static async bind(deps: ReceiverDeps): Promise<Receiver> {
    const { opts } = deps;
    let host = deps.host;
    let family = net.isIP(host);
    if (family === 0) {
      try {
        const found = await lookup(host);
        host = found.address;
        family = found.family;
      } catch {
        throw new PluginProblems([{ path: ["address"], message: `cannot resolve host "${deps.host}" of "${opts.address}"` }]);
      }
    }
    if (opts.mode === "udp") {
      const socket = dgram.createSocket({ type: family === 6 ? "udp6" : "udp4" });
      await new Promise<void>((resolve, reject) => {
        socket.once("error", reject);
        socket.bind({ address: host, port: deps.port, exclusive: true }, () => {
          socket.off("error", reject);
          resolve();
        });
      }).catch((err: unknown) => {
        socket.close();
        throw new PluginProblems([{ path: ["address"], message: listenProblem(opts.address, err) }]);
      });
      try {
        socket.setRecvBufferSize(UDP_RECV_BUFFER);
      } catch {
        // The kernel's limit (net.core.rmem_max) applies; its default buffer still works.
      }
      const r = new Receiver(deps, socket, undefined);
      r.listenUdp(socket);
      return r;
    }
    const config: ThreadConfig = {
      host,
      port: deps.port,
      framing: opts.framing,
      maxLength: opts.maxLength,
      maxConnections: opts.maxConnections,
      idleTimeoutSeconds: opts.idleTimeoutSeconds,
      timezone: opts.timezone,
      tls: opts.mode === "tls" ? await tlsOptions(opts) : undefined,
    };
    let deliver: (m: FromThread) => void = () => undefined;
    let failed: (err: Error) => void = () => undefined;
    const first = new Promise<FromThread>((resolve) => (deliver = resolve));
    let link: StreamLink;
    const local: { to?: LocalFrames } = {};
    if (opts.threaded) {
      const worker = new Worker(deps.threadScript ?? threadScript(), { workerData: config, name: "syslog-receive" });
      worker.on("message", (m: FromThread) => deliver(m));
      worker.on("error", (err) => failed(err));
      // A thread that ends without having said `closed` (after an 'error', or gone on its own)
      // must not leave the source waiting for frames that never come.
      worker.on("exit", (code) => failed(new Error(`exited with code ${code}`)));
      failed = (err) => deliver({ t: "listen-failed", code: undefined, message: err.message });
      link = { send: (m) => worker.postMessage(m), ref: () => worker.ref(), unref: () => worker.unref(), end: () => void worker.terminate() };
    } else {
      // Frames go straight to the receiver (`local.to`, set as soon as it exists: before any
      // connection is accepted); the rest is posted.
      const server = new StreamServer(config, (m) => deliver(m), {
        framesOf: (id) => local.to!.framesOf(id),
        chunk: (read) => local.to!.chunk(read),
      });
      link = { send: (m) => server.handle(m), ref: () => server.ref(), unref: () => server.unref(), end: () => undefined };
    }
    const listening = await first;
    if (listening.t !== "listening") {
      link.end();
      const failure = listening.t === "listen-failed" ? listening : { code: undefined, message: `unexpected ${listening.t}` };
      throw new PluginProblems([{ path: ["address"], message: listenProblem(opts.address, Object.assign(new Error(failure.message), { code: failure.code })) }]);
    }
    const r = new Receiver(deps, undefined, link);
    local.to = r.localFrames();
    r.streamAddress = { address: listening.address, port: listening.port, family: listening.family === "IPv6" ? "IPv6" : "IPv4" };
    deliver = (m) => r.fromStream(m);
    // A fault in the thread (a bug: it catches what input can cause) ends the source loudly.
    failed = (err) => r.streamFailed(err);
    link.unref();
    return r;
  }

  address(): BoundAddress | undefined {
    if (this.stream) return this.streamAddress;
    const a = this.udp?.address();
    if (!a || typeof a === "string") return undefined;
    return { address: a.address, port: a.port, family: a.family === "IPv6" ? "IPv6" : "IPv4" };
  }

  /** Starts delivering events (and what waited for a subscriber). */
  attach(emitter: Emitter): void {
    this.emitter = emitter;
    // The thread failed between start() and the pipeline's subscription.
    if (this.failure) return emitter.error(this.failure);
    this.udp?.ref();
    this.stream?.ref();
    const waiting = this.early.splice(0);
    for (const e of this.deps.delivery.track(waiting)) emitter.next(e);
    if (this.earlyDropped > 0) {
      this.deps.log.warn({ dropped: this.earlyDropped }, "datagrams received before the pipeline started were dropped (queue full)");
      this.earlyDropped = 0;
    }
    this.tell({ t: "read" });
  }

  /**
   * Graceful stop: no new connections or datagrams; partial frames of open connections are
   * emitted; then everything is closed and the emitter completes.
   */
  drain(): void {
    if (this.draining) return;
    this.draining = true;
    void this.close().then(() => this.emitter?.complete());
  }

  /** Closes the sockets and every connection (their partial frames are emitted first). Safe twice. */
  close(): Promise<void> {
    this.closed ??= new Promise<void>((resolve) => {
      if (this.udp) {
        this.udp.close(() => resolve());
        return;
      }
      if (this.streamGone) return resolve();
      // The server posts its last frames, then `closed`; what it posted is handled before that.
      // Referenced meanwhile: a close nothing else keeps the process alive for still ends.
      this.streamClosed = resolve;
      this.stream!.ref();
      this.tell({ t: "close" });
      // What waited for room goes out now, as a closing connection's partial frame does.
      this.closing = true;
      this.releaseHeld();
    });
    return this.closed;
  }

  /** Stops delivering (the subscriber left); what arrives until close() is dropped. */
  detach(): void {
    this.emitter = undefined;
    this.detached = true;
  }

  private tell(m: ToThread): void {
    if (!this.streamGone) this.stream?.send(m);
  }

  private emit(event: LiveEventInput): void {
    if (this.batch) this.batch.push(event);
    else if (this.emitter) this.emitter.next(event);
    else if (this.detached) return;
    else if (this.early.length < EARLY_DATAGRAMS) this.early.push(event);
    else this.earlyDropped++;
  }

  /** Every frame or datagram ends here: parsed (or kept as unparsed), counted, emitted. */
  private deliver(b: Buffer, start: number, end: number, truncated: boolean, ctx: ParseContext, error?: string): void {
    const event = error === undefined ? parseSyslog(b, ctx, truncated, start, end) : unparsedFrame(b, error, ctx, truncated, start, end);
    this.count(event, truncated);
  }

  /** Counts what needs counting (parse errors, truncation) and emits. */
  private count(event: LiveEventInput, truncated: boolean): void {
    if (event.type === "syslog.unparsed") {
      this.meters.parseErrors.inc();
      this.unreported.parseErrors++;
    }
    if (truncated) {
      this.meters.truncated.inc();
      this.unreported.truncated++;
    }
    if (event.type === "syslog.unparsed" || truncated) this.warnAtMostEverySecond(event);
    this.emit(event);
  }

  /** What an in-process stream server hands its frames to (each connection's context bound). */
  private localFrames(): LocalFrames {
    return {
      framesOf: (id) => {
        const ctx = this.contexts.get(id) ?? this.context(undefined); // set by its `open`, posted just before
        return (b, start, end, truncated, error) => this.deliver(b, start, end, truncated, ctx, error);
      },
      chunk: (read) => this.chunk(read),
    };
  }

  /** Handles one batch of the stream server: its events are tracked and emitted together. */
  private chunk(push: () => void): void {
    if (!this.emitter) return push();
    this.batch = [];
    try {
      push();
    } finally {
      this.flushBatch();
    }
    if (this.deps.delivery.full) this.pauseConnections();
  }

  private flushBatch(): void {
    const batch = this.batch;
    this.batch = undefined;
    if (!batch || batch.length === 0 || !this.emitter) return;
    const emitter = this.emitter;
    for (const e of this.deps.delivery.track(batch)) emitter.next(e);
  }

  /** At maxPendingEvents: stop reading every connection until the pipeline settled enough. */
  private pauseConnections(): void {
    if (this.paused) return;
    this.paused = true;
    this.tell({ t: "pause" });
    this.deps.delivery.onCapacity(() => {
      this.paused = false;
      this.releaseHeld();
      if (!this.paused) this.tell({ t: "resume" });
    });
  }

  private warnAtMostEverySecond(event: LiveEventInput): void {
    const now = this.deps.clock.now();
    if (now - this.lastWarnAt < 1000) return;
    this.lastWarnAt = now;
    const { parseErrors, truncated } = this.unreported;
    this.unreported = { truncated: 0, parseErrors: 0 };
    this.deps.log.warn(
      { parseErrors, truncated, remoteIp: event.data.remoteIp, parseError: event.data.parseError, maxLength: this.deps.opts.maxLength },
      "syslog messages not parsed or truncated (syslog.parse-errors, syslog.truncated)",
    );
  }

  private context(remoteIp: string | undefined): ParseContext {
    const clock = this.deps.clock;
    return { remoteIp, zone: this.deps.zone, now: () => clock.now(), iso: this.iso, names: this.names };
  }

  private listenUdp(socket: dgram.Socket): void {
    const max = this.deps.opts.maxLength;
    // One context for all datagrams: parsing is synchronous, only remoteIp changes.
    const ctx = this.context(undefined);
    const { dropped } = this.deps;
    const flush = () => {
      this.udpBatchScheduled = false;
      this.flushBatch();
    };
    socket.on("message", (msg, rinfo) => {
      if (this.draining) return;
      if (this.emitter) {
        // A datagram cannot be asked to wait: at the bound it is dropped and counted.
        if (this.maxPendingLeft() <= 0) {
          dropped.inc();
          return;
        }
        // Datagrams of one event-loop turn become one tracked batch.
        this.batch ??= [];
        if (!this.udpBatchScheduled) {
          this.udpBatchScheduled = true;
          setImmediate(flush);
        }
      }
      ctx.remoteIp = plainIp(rinfo.address);
      const truncated = msg.length > max;
      this.deliver(msg, 0, truncated ? utf8Boundary(msg, max) : msg.length, truncated, ctx);
    });
    socket.on("error", (err) => this.deps.log.error({ err: err.message }, "syslog udp socket error"));
    socket.unref();
  }

  /** Room left under maxPendingEvents, counting the datagrams batched but not yet tracked. */
  private maxPendingLeft(): number {
    return this.deps.opts.maxPendingEvents - this.deps.delivery.pending - (this.batch?.length ?? 0);
  }

  /** What the stream server says, in its order. */
  private fromStream(m: FromThread): void {
    const log = this.deps.log;
    const connections = this.meters.connections;
    switch (m.t) {
      case "frames":
      case "gone":
      case "closed":
        // In order, and not while the pipeline is at maxPendingEvents: they wait here then
        // (at most IN_FLIGHT_BYTES of them: the server stops reading past that).
        if (this.held.length > 0 || (this.paused && !this.closing)) this.held.push(m);
        else this.inOrder(m);
        break;
      case "open":
        this.contexts.set(m.id, this.context(m.remoteIp));
        connections.set(connections.value + 1);
        break;
      case "rejected":
        this.meters.rejected.inc();
        log.warn({ remoteIp: m.remoteIp, maxConnections: this.deps.opts.maxConnections }, "connection over maxConnections closed");
        break;
      case "tls-failed":
        log.warn({ remoteIp: m.remoteIp, err: m.message }, "TLS handshake failed");
        break;
      case "server-error":
        log.error({ err: m.message }, "syslog server error");
        break;
      default:
        break;
    }
  }

  private streamFailed(err: Error): void {
    if (this.streamGone) return; // its own end (terminate after `closed`), or the 'exit' after an 'error'
    this.deps.log.error({ err: err.message }, "syslog receive thread failed");
    this.endStream();
    this.failure = new Error(`syslog receive thread failed: ${err.message}`);
    this.emitter?.error(this.failure);
  }

  private inOrder(m: FromThread): void {
    if (m.t === "frames") {
      this.frames(m);
      this.tell({ t: "took", bytes: m.bytes });
    } else if (m.t === "gone") {
      this.contexts.delete(m.id);
      this.meters.connections.set(this.meters.connections.value - 1);
    } else if (m.t === "closed") this.endStream();
  }

  /** Handles what waited, until the pipeline is full again (or all of it, when closing). */
  private releaseHeld(): void {
    while (this.held.length > 0 && (!this.paused || this.closing)) this.inOrder(this.held.shift()!);
  }

  private endStream(): void {
    if (this.streamGone) return;
    this.streamGone = true;
    for (const _ of this.contexts) this.meters.connections.set(this.meters.connections.value - 1);
    this.contexts.clear();
    this.stream!.end();
    this.streamClosed?.();
  }

  /** One batch of the stream server: its frames' events, tracked and emitted together. */
  private frames(m: Frames): void {
    if (!this.emitter) return;
    const buffers = m.buffers.map((u) => Buffer.from(u.buffer, u.byteOffset, u.length));
    const { records: a, ms, errors } = m;
    let id = -1;
    let ctx: ParseContext = this.context(undefined);
    this.chunk(() => {
      let o = 0;
      while (o < a.length) {
        const kind = a[o];
        if (a[o + 1] !== id) {
          id = a[o + 1];
          ctx = this.contexts.get(id) ?? this.context(undefined);
        }
        const b = buffers[a[o + 2]];
        const truncated = a[o + 5] === 1;
        if (kind === SCANNED) {
          o += FRAME_INTS;
          const event = buildRfc5424(new Text(b, a[o + REC.START], a[o + REC.END]), a, o, ms, ctx);
          if (truncated) event.data.truncated = true;
          o += a[o + REC.SIZE];
          this.count(event, truncated);
        } else {
          this.deliver(b, a[o + 3], a[o + 4], truncated, ctx, kind === FRAMING_ERROR ? errors[a[o + 6]] : undefined);
          o += FRAME_INTS;
        }
      }
    });
  }
}

async function tlsOptions(opts: SyslogOptions): Promise<NonNullable<ThreadConfig["tls"]>> {
  const read = async (key: "cert" | "key" | "ca"): Promise<Buffer | Problem | undefined> => {
    const path = opts[key];
    if (path === undefined) return undefined;
    try {
      return await readFile(path);
    } catch (err) {
      return { path: [key], message: `cannot read "${path}": ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}` };
    }
  };
  // Problems in option order, whichever read fails first.
  const files = await Promise.all([read("cert"), read("key"), read("ca")]);
  const problems = files.filter((f): f is Problem => f !== undefined && !Buffer.isBuffer(f));
  if (problems.length > 0) throw new PluginProblems(problems);
  const [cert, key, ca] = files as (Buffer | undefined)[];
  const options = { cert, key, ca, requestCert: ca !== undefined, rejectUnauthorized: ca !== undefined };
  try {
    tls.createSecureContext(options);
  } catch (err) {
    throw new PluginProblems([{ path: ["cert"], message: `"${opts.cert}" and "${opts.key}" are not a usable certificate and key: ${(err as Error).message}` }]);
  }
  return options;
}

function listenProblem(address: string, err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === "EADDRINUSE") return `${address} is already in use`;
  if (code === "EACCES") return `${address}: permission denied (ports below 1024 need root or CAP_NET_BIND_SERVICE)`;
  if (code === "EADDRNOTAVAIL") return `${address} is not an address of this machine`;
  return `cannot listen on ${address}: ${(err as Error).message}`;
}
