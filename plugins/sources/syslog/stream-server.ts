/**
 * The tcp/tls side of a syslog source: the server and its connections, RFC 6587 framing and,
 * in a thread of its own, the RFC 5424 scan, speaking thread-protocol.ts. It runs either in
 * the source's receive thread (`threaded: true`, receive-thread.ts), gathering frames into
 * batches it posts, or on the main thread beside the pipeline, handing each frame to the
 * receiver (receiver.ts) as it is framed: there, records and messages would be pure cost.
 * Loads only pure modules (no kit): a thread starts in tens of milliseconds.
 */
import net from "node:net";
import tls from "node:tls";
import { Framer, type FrameHandler } from "./framing.js";
import { scanFrame, Tokens } from "./scan-rfc5424.js";
import { BATCH_BYTES, FRAME_INTS, FRAMING_ERROR, IN_FLIGHT_BYTES, plainIp, RAW, SCANNED, type Frames, type FromThread, type ThreadConfig, type ToThread } from "./thread-protocol.js";
import { parseZone, type Zone } from "./time.js";

/** TCP keepalive: finds peers that vanished without FIN (half-open connections). */
const KEEPALIVE_MS = 60_000;

export type Post = (m: FromThread, transfer?: ArrayBuffer[]) => void;

/** Where a server on the main thread hands its frames: the receiver, directly. */
export interface LocalFrames {
  /** The frame handler of connection `id` (its `open` is posted just before). */
  framesOf(id: number): FrameHandler;
  /** Runs `read` (framing one read chunk, or a connection's end) as one batch of events. */
  chunk(read: () => void): void;
}

export class StreamServer {
  private readonly connections = new Set<Connection>();
  private reading = false;
  private pausedByMain = false;
  private inFlight = 0;
  private closing = false;
  private listening = false;
  private serverClosed = false;
  private closedPosted = false;
  private nextId = 1;
  /** In a thread of its own: the frames read and not yet posted. */
  readonly batch: Batch | undefined;
  private readonly server: net.Server;

  /**
   * `local` absent: posts cross to another thread, so a turn's reads are gathered into one
   * batch whose memory is handed over. `local` given (the main thread): frames go to it.
   */
  constructor(
    readonly config: ThreadConfig,
    readonly post: Post,
    readonly local?: LocalFrames,
  ) {
    if (!local) this.batch = new Batch(this, parseZone(config.timezone) as Zone); // the zone was checked by the option schema
    const server = config.tls ? tls.createServer(tlsOptions(config.tls)) : net.createServer();
    this.server = server;
    server.maxConnections = config.maxConnections;
    server.on("drop", (info) => post({ t: "rejected", remoteIp: plainIp(info?.remoteAddress) }));
    if (config.tls) {
      server.on("secureConnection", (socket: tls.TLSSocket) => this.adopt(socket));
      server.on("tlsClientError", (err, socket) => post({ t: "tls-failed", remoteIp: plainIp(socket.remoteAddress), message: err.message }));
    } else {
      server.on("connection", (socket: net.Socket) => this.adopt(socket));
    }
    server.on("error", (err: NodeJS.ErrnoException) => {
      if (!this.listening) post({ t: "listen-failed", code: err.code, message: err.message });
      else post({ t: "server-error", message: err.message });
    });
    server.listen({ host: config.host, port: config.port, exclusive: true }, () => {
      this.listening = true;
      const a = server.address() as net.AddressInfo;
      post({ t: "listening", address: a.address, port: a.port, family: a.family });
    });
  }

  /** Whether the listening socket keeps the process alive (connections always do). */
  ref(): void {
    this.server.ref();
  }

  unref(): void {
    this.server.unref();
  }

  get readPaused(): boolean {
    return this.pausedByMain || this.inFlight > IN_FLIGHT_BYTES;
  }

  /** Counts a posted batch; past IN_FLIGHT_BYTES the connections stop being read. */
  posted(bytes: number): void {
    this.inFlight += bytes;
    if (this.inFlight > IN_FLIGHT_BYTES) this.updateFlow();
  }

  handle(m: ToThread): void {
    switch (m.t) {
      case "read":
        this.reading = true;
        for (const c of this.connections) c.start();
        break;
      case "pause":
        this.pausedByMain = true;
        this.updateFlow();
        break;
      case "resume":
        this.pausedByMain = false;
        this.updateFlow();
        break;
      case "took": {
        const was = this.readPaused;
        this.inFlight -= m.bytes;
        if (was && !this.readPaused) this.updateFlow();
        break;
      }
      case "close":
        if (this.closing) break;
        this.closing = true;
        this.server.close(() => {
          this.serverClosed = true;
          this.closedWhenDone();
        });
        if (!this.listening) this.serverClosed = true;
        for (const c of [...this.connections]) c.finish();
        this.closedWhenDone();
        break;
    }
  }

  /** A connection closed (its last frames are posted). */
  gone(c: Connection): void {
    this.connections.delete(c);
    this.post({ t: "gone", id: c.id });
    if (this.closing) this.closedWhenDone();
  }

  private adopt(socket: net.Socket): void {
    if (this.closing) {
      socket.destroy();
      return;
    }
    const remoteIp = plainIp(socket.remoteAddress);
    const id = this.nextId++;
    this.post({ t: "open", id, remoteIp });
    const c = new Connection(this, socket, id);
    this.connections.add(c);
    if (this.reading) c.start();
  }

  private updateFlow(): void {
    const paused = this.readPaused;
    for (const c of this.connections) c.flow(paused);
  }

  private closedWhenDone(): void {
    if (this.closedPosted || !this.serverClosed || this.connections.size > 0) return;
    this.closedPosted = true;
    this.post({ t: "closed" });
  }
}

/**
 * The frames read and not yet posted (in the receive thread), with the bytes they are in and,
 * for RFC 5424 messages, their scan records (`tokens`): what the connections read in one turn
 * of the event loop (up to BATCH_BYTES), copied into `bytes` so a frame within a chunk is just
 * a place in it.
 */
class Batch {
  private readonly tokens = new Tokens();
  private bytes = Buffer.allocUnsafeSlow(BATCH_BYTES);
  private used = 0;
  private extras: Uint8Array[] = [];
  private extraBytes = 0;
  private errors: string[] = [];
  private scheduled = false;
  /** The chunk being framed, as the framer reads it, and where it starts in `bytes`. */
  private view: Buffer | undefined;
  private viewAt = 0;
  private readonly flushLater = (): void => {
    this.scheduled = false;
    this.flush();
  };

  constructor(
    private readonly server: StreamServer,
    private readonly zone: Zone,
  ) {}

  /** Frames `chunk` of `framer` (its frames come back through frame()) and schedules the post. */
  read(framer: Framer, chunk: Buffer): void {
    if (this.used + chunk.length > this.bytes.length) this.flush();
    if (chunk.length > this.bytes.length) this.bytes = Buffer.allocUnsafeSlow(chunk.length);
    chunk.copy(this.bytes, this.used);
    this.viewAt = this.used;
    this.view = this.bytes.subarray(this.used, this.used + chunk.length);
    this.used += chunk.length;
    this.schedule();
    framer.push(this.view);
    this.view = undefined;
  }

  /** One frame of connection `id`, scanned when it is RFC 5424. */
  frame(id: number, b: Buffer, start: number, end: number, truncated: boolean, error: string | undefined): void {
    let buffer = 0;
    let bytes = this.bytes;
    if (b === this.view) {
      start += this.viewAt;
      end += this.viewAt;
    } else {
      // A frame the framer joined from several chunks (or cut at a connection's end): its
      // bytes travel on their own.
      const own = Buffer.allocUnsafeSlow(end - start);
      b.copy(own, 0, start, end);
      this.extras.push(own);
      this.extraBytes += own.length;
      buffer = this.extras.length;
      bytes = own;
      end -= start;
      start = 0;
      this.schedule();
    }
    const tokens = this.tokens;
    const o = tokens.n;
    const a = tokens.reserve(FRAME_INTS);
    a[o + 1] = id;
    a[o + 2] = buffer;
    a[o + 3] = start;
    a[o + 4] = end;
    a[o + 5] = truncated ? 1 : 0;
    a[o + 6] = -1;
    tokens.n = o + FRAME_INTS;
    if (error !== undefined) {
      a[o] = FRAMING_ERROR;
      a[o + 6] = this.errors.length;
      this.errors.push(error);
    } else {
      // scanFrame may grow the arrays: the kind is written through the current one.
      a[o] = RAW;
      if (scanFrame(bytes, start, end, this.zone, tokens)) tokens.a[o] = SCANNED;
    }
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(this.flushLater);
  }

  /** Posts what was gathered (frames and the bytes they are in), handing its memory over. */
  flush(): void {
    const tokens = this.tokens;
    if (tokens.n === 0) {
      this.used = 0;
      return;
    }
    // The gathered bytes are copied out (one memcpy) so `bytes` is kept for the next batch,
    // the records copied out of the reused arrays.
    const chunks = Buffer.allocUnsafeSlow(this.used);
    this.bytes.copy(chunks, 0, 0, this.used);
    const records = tokens.a.slice(0, tokens.n);
    const m: Frames = { t: "frames", buffers: [chunks, ...this.extras], records, ms: tokens.ms.slice(0, tokens.stamps), errors: this.errors, bytes: this.used + this.extraBytes + records.byteLength };
    tokens.reset();
    this.used = 0;
    this.extras = [];
    this.extraBytes = 0;
    this.errors = [];
    this.server.posted(m.bytes);
    this.server.post(m, [...m.buffers.map((u) => u.buffer as ArrayBuffer), m.records.buffer as ArrayBuffer, m.ms.buffer as ArrayBuffer]);
  }
}

/** One connection: its chunks through its framer, into the batch or straight to the receiver. */
class Connection {
  private readonly framer: Framer;
  private readonly read: (chunk: Buffer) => void;
  private readonly end: () => void;
  private started = false;

  constructor(
    private readonly owner: StreamServer,
    private readonly socket: net.Socket,
    readonly id: number,
  ) {
    const { config, batch, local } = owner;
    const framer = new Framer(config.framing, config.maxLength, local ? local.framesOf(id) : (b, start, end, truncated, error) => batch!.frame(id, b, start, end, truncated, error));
    this.framer = framer;
    this.read = local ? (chunk) => local.chunk(() => framer.push(chunk)) : (chunk) => batch!.read(framer, chunk);
    // The last partial frame, once: the first of end, close, idle timeout or close().
    const end = local ? () => local.chunk(() => framer.end()) : () => framer.end();
    socket.setKeepAlive(true, KEEPALIVE_MS);
    socket.setNoDelay(true);
    // The socket's own inactivity timer: node re-arms it on every read for free.
    if (config.idleTimeoutSeconds > 0) socket.setTimeout(config.idleTimeoutSeconds * 1000, () => this.finish());
    // A peer that half-closes (FIN) has sent its last frame: pass it on; node then ends our side.
    socket.on("end", end);
    socket.on("close", () => {
      end();
      // Its last frames are posted before it is reported gone (the receiver drops its context then).
      batch?.flush();
      owner.gone(this);
    });
    socket.on("error", () => undefined); // ECONNRESET and the like: 'close' follows
    this.end = end;
  }

  /** Starts the flow of data (connections wait until the source has a subscriber). */
  start(): void {
    if (this.started) return;
    this.started = true;
    this.socket.on("data", this.read);
    // Adding a 'data' listener resumes the socket: keep it paused while the flow is held.
    if (this.owner.readPaused) this.socket.pause();
  }

  flow(paused: boolean): void {
    if (!this.started) return;
    if (paused) this.socket.pause();
    else this.socket.resume();
  }

  /** Passes on the partial frame and closes (idle timeout, close). */
  finish(): void {
    this.end();
    this.socket.destroy();
  }
}

function tlsOptions(o: NonNullable<ThreadConfig["tls"]>): tls.TlsOptions {
  const buf = (u: Uint8Array | undefined): Buffer | undefined => (u ? Buffer.from(u.buffer, u.byteOffset, u.length) : undefined);
  return { cert: buf(o.cert), key: buf(o.key), ca: buf(o.ca), requestCert: o.requestCert, rejectUnauthorized: o.rejectUnauthorized };
}
