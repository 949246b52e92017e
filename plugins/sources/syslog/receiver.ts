/**
 * The sockets of one syslog source: a UDP socket or a TCP/TLS server and its connections,
 * from bind to close. Bound before the pipeline runs; events flow once `attach`ed (UDP
 * datagrams that come earlier wait in a small queue, TCP connections are simply not read).
 */
import dgram from "node:dgram";
import { lookup } from "node:dns/promises";
import { readFile } from "node:fs/promises";
import net from "node:net";
import tls from "node:tls";
import type { SchedulerLike } from "rxjs";
import { type Counter, type Delivery, type Gauge, type LiveEventInput, type Logger, type Metrics, PluginProblems, type Problem } from "../../../core/index.js";
import { utf8Boundary } from "../../../core/kit.js";
import { Framer } from "./framing.js";
import type { SyslogOptions } from "./options.js";
import { parseSyslog, unparsedFrame } from "./parse.js";
import { NameCache } from "./names.js";
import type { ParseContext } from "./pri.js";
import { IsoClock, type Zone } from "./time.js";

/** Datagrams kept while nobody is subscribed yet (between start() and the pipeline's connect). */
const EARLY_DATAGRAMS = 10_000;
/** TCP keepalive: finds peers that vanished without FIN (half-open connections). */
const KEEPALIVE_MS = 60_000;
/** Ask the kernel for this much UDP receive buffer; bursts are lost when it overflows. */
const UDP_RECV_BUFFER = 8 * 1024 * 1024;

export interface Emitter {
  next(event: LiveEventInput): void;
  complete(): void;
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

/** "::ffff:192.0.2.7" (an IPv4 peer on a dual-stack socket) is "192.0.2.7". */
export function plainIp(address: string | undefined): string | undefined {
  return address?.startsWith("::ffff:") && net.isIPv4(address.slice(7)) ? address.slice(7) : address;
}

export class Receiver {
  private emitter: Emitter | undefined;
  private readonly early: LiveEventInput[] = [];
  private earlyDropped = 0;
  private readonly connections = new Set<Connection>();
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

  private constructor(
    private readonly deps: ReceiverDeps,
    private readonly udp: dgram.Socket | undefined,
    private readonly server: net.Server | undefined,
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
    const server = opts.mode === "tls" ? tls.createServer(await tlsOptions(opts)) : net.createServer();
    server.maxConnections = opts.maxConnections;
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen({ host, port: deps.port, exclusive: true }, () => {
        server.off("error", reject);
        resolve();
      });
    }).catch((err: unknown) => {
      server.close();
      throw new PluginProblems([{ path: ["address"], message: listenProblem(opts.address, err) }]);
    });
    const r = new Receiver(deps, undefined, server);
    r.listenStream(server, opts.mode === "tls");
    return r;
  }

  address(): BoundAddress | undefined {
    const a = this.udp ? this.udp.address() : this.server?.address();
    if (!a || typeof a === "string") return undefined;
    return { address: a.address, port: a.port, family: a.family === "IPv6" ? "IPv6" : "IPv4" };
  }

  /** Starts delivering events (and what waited for a subscriber). */
  attach(emitter: Emitter): void {
    this.emitter = emitter;
    this.udp?.ref();
    this.server?.ref();
    const waiting = this.early.splice(0);
    for (const e of this.deps.delivery.track(waiting)) emitter.next(e);
    if (this.earlyDropped > 0) {
      this.deps.log.warn({ dropped: this.earlyDropped }, "datagrams received before the pipeline started were dropped (queue full)");
      this.earlyDropped = 0;
    }
    for (const c of this.connections) c.read();
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
      const server = this.server!;
      server.close(() => resolve());
      for (const c of this.connections) c.finish();
    });
    return this.closed;
  }

  /** Stops delivering (the subscriber left); what arrives until close() is dropped. */
  detach(): void {
    this.emitter = undefined;
    this.detached = true;
  }

  private emit(event: LiveEventInput): void {
    if (this.batch) this.batch.push(event);
    else if (this.emitter) this.emitter.next(event);
    else if (this.detached) return;
    else if (this.early.length < EARLY_DATAGRAMS) this.early.push(event);
    else this.earlyDropped++;
  }

  /** Every frame or datagram ends here: parsed (or kept as unparsed), counted, emitted. */
  deliver(b: Buffer, start: number, end: number, truncated: boolean, ctx: ParseContext, error?: string): void {
    const event = error === undefined ? parseSyslog(b, ctx, truncated, start, end) : unparsedFrame(b, error, ctx, truncated, start, end);
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

  /** Handles one read chunk of a connection: its events are tracked and emitted as one batch. */
  chunk(push: () => void): void {
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
    for (const c of this.connections) c.pause();
    this.deps.delivery.onCapacity(() => {
      this.paused = false;
      for (const c of this.connections) c.resume();
    });
  }

  get readPaused(): boolean {
    return this.paused;
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

  context(remoteIp: string | undefined): ParseContext {
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

  private listenStream(server: net.Server, secure: boolean): void {
    const { log } = this.deps;
    server.on("drop", (info) => {
      this.meters.rejected.inc();
      log.warn({ remoteIp: plainIp(info?.remoteAddress), maxConnections: this.deps.opts.maxConnections }, "connection over maxConnections closed");
    });
    if (secure) {
      server.on("secureConnection", (socket: tls.TLSSocket) => this.adopt(socket));
      server.on("tlsClientError", (err, socket) => {
        log.warn({ remoteIp: plainIp(socket.remoteAddress), err: err.message }, "TLS handshake failed");
      });
    } else {
      server.on("connection", (socket: net.Socket) => this.adopt(socket));
    }
    server.on("error", (err) => log.error({ err: err.message }, "syslog server error"));
    server.unref();
  }

  private adopt(socket: net.Socket): void {
    if (this.draining) {
      socket.destroy();
      return;
    }
    const c = new Connection(this, socket, this.deps.opts);
    this.connections.add(c);
    this.meters.connections.set(this.meters.connections.value + 1);
    socket.once("close", () => {
      this.connections.delete(c);
      this.meters.connections.set(this.meters.connections.value - 1);
    });
    if (this.emitter) c.read();
  }
}

/** One TCP/TLS connection: bytes to frames to events; a partial frame is emitted when it ends. */
class Connection {
  private readonly framer: Framer;
  private reading = false;

  constructor(
    private readonly receiver: Receiver,
    private readonly socket: net.Socket,
    opts: SyslogOptions,
  ) {
    const ctx = receiver.context(plainIp(socket.remoteAddress));
    this.framer = new Framer(opts.framing, opts.maxLength, (b, start, end, truncated, error) => receiver.deliver(b, start, end, truncated, ctx, error));
    socket.setKeepAlive(true, KEEPALIVE_MS);
    socket.setNoDelay(true);
    // The socket's own inactivity timer, not the SCHEDULER: node re-arms it on every read for
    // free, where a scheduled action would have to be cancelled and re-created per chunk.
    if (opts.idleTimeoutSeconds > 0) {
      socket.setTimeout(opts.idleTimeoutSeconds * 1000, () => this.finish());
    }
    // A peer that half-closes (FIN) has sent its last frame: emit it; node then ends our side.
    socket.on("end", () => this.framer.end());
    socket.on("close", () => this.framer.end());
    socket.on("error", () => undefined); // ECONNRESET and the like: 'close' follows
  }

  /** Starts the flow of data (paused until there is a subscriber). */
  read(): void {
    if (this.reading) return;
    this.reading = true;
    this.socket.on("data", (chunk: Buffer) => this.receiver.chunk(() => this.framer.push(chunk)));
    // Adding a 'data' listener resumes the socket: keep it paused while the source is full.
    if (this.receiver.readPaused) this.socket.pause();
  }

  /** Stops reading: the kernel's receive window fills and the sender's writes block. */
  pause(): void {
    this.socket.pause();
  }

  resume(): void {
    this.socket.resume();
  }

  /** Emits the partial frame and closes (idle timeout, drain, close). */
  finish(): void {
    this.framer.end();
    this.socket.destroy();
  }
}

async function tlsOptions(opts: SyslogOptions): Promise<tls.TlsOptions> {
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
  const options: tls.TlsOptions = { cert, key, ca, requestCert: ca !== undefined, rejectUnauthorized: ca !== undefined };
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
