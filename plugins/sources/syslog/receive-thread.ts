/**
 * The receive thread of a tcp/tls syslog source (a worker; see thread-protocol.ts): the server
 * and its connections, RFC 6587 framing and the RFC 5424 scan, off the main thread. Each read
 * chunk's frames go to the main thread as one batch: the chunk's bytes (one copy), the frames'
 * places and, for RFC 5424 messages, where their fields are, so the main thread only builds
 * the events. Loads only pure modules (no kit): a thread starts in tens of milliseconds.
 */
import net from "node:net";
import tls from "node:tls";
import { parentPort, workerData } from "node:worker_threads";
import { Framer } from "./framing.js";
import { scanFrame, Tokens } from "./scan-rfc5424.js";
import { BATCH_BYTES, FRAME_INTS, FRAMING_ERROR, IN_FLIGHT_BYTES, plainIp, RAW, SCANNED, type Frames, type FromThread, type ThreadConfig, type ToThread } from "./thread-protocol.js";
import { parseZone, type Zone } from "./time.js";

/** TCP keepalive: finds peers that vanished without FIN (half-open connections). */
const KEEPALIVE_MS = 60_000;

const port = parentPort!;
const config = workerData as ThreadConfig;
const zone = parseZone(config.timezone) as Zone; // checked by the option schema
const post = (m: FromThread, transfer?: ArrayBuffer[]): void => port.postMessage(m, transfer);


const connections = new Set<Connection>();
let reading = false;
let pausedByMain = false;
let inFlight = 0;
let closing = false;
let nextId = 1;
/** One set of scan arrays for every batch: batches are built one at a time. */
const tokens = new Tokens();

const readPaused = (): boolean => pausedByMain || inFlight > IN_FLIGHT_BYTES;

function updateFlow(): void {
  const paused = readPaused();
  for (const c of connections) c.flow(paused);
}

/**
 * The batch being gathered: what the connections read in this turn of the event loop (or up
 * to BATCH_BYTES), posted as one message. Chunks are copied into `bytes`, so a frame within a
 * chunk is just a place in it; the records of every frame are in `tokens`.
 */
class Batch {
  private bytes = Buffer.allocUnsafeSlow(BATCH_BYTES);
  private used = 0;
  private extras: Uint8Array[] = [];
  private extraBytes = 0;
  private errors: string[] = [];
  private scheduled = false;
  /** The chunk being framed, as a view of `bytes`, and where it starts there. */
  private view: Buffer | undefined;
  private viewAt = 0;
  private readonly flushLater = (): void => {
    this.scheduled = false;
    this.flush();
  };

  /** Copies a chunk in; the framer reads the returned view of it. */
  add(chunk: Buffer): Buffer {
    if (this.used + chunk.length > this.bytes.length) this.flush();
    if (chunk.length > this.bytes.length) this.bytes = Buffer.allocUnsafeSlow(chunk.length);
    chunk.copy(this.bytes, this.used);
    this.viewAt = this.used;
    this.view = this.bytes.subarray(this.used, this.used + chunk.length);
    this.used += chunk.length;
    this.schedule();
    return this.view;
  }

  /** The chunk is framed: frames that come later (a connection's end) are not in it. */
  done(): void {
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
      // A frame the framer joined from several chunks: its bytes travel on their own.
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
      if (scanFrame(bytes, start, end, zone, tokens)) tokens.a[o] = SCANNED;
    }
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(this.flushLater);
  }

  /** Posts what was gathered (frames and the bytes they are in). */
  flush(): void {
    if (tokens.n === 0) {
      this.used = 0;
      return;
    }
    // The gathered bytes are copied out (one memcpy) so `bytes` is kept for the next batch.
    const chunks = Buffer.allocUnsafeSlow(this.used);
    this.bytes.copy(chunks, 0, 0, this.used);
    const buffers: Uint8Array[] = [chunks, ...this.extras];
    const records = tokens.a.slice(0, tokens.n);
    const ms = tokens.ms.slice(0, tokens.stamps);
    const bytes = this.used + this.extraBytes + records.byteLength;
    const m: Frames = { t: "frames", buffers, records, ms, errors: this.errors, bytes };
    tokens.reset();
    this.used = 0;
    this.view = undefined;
    this.extras = [];
    this.extraBytes = 0;
    this.errors = [];
    inFlight += bytes;
    post(m, [...buffers.map((u) => u.buffer as ArrayBuffer), records.buffer, ms.buffer]);
    if (inFlight > IN_FLIGHT_BYTES) updateFlow();
  }
}
const batch = new Batch();

/** One connection: its chunks into the batch, through its framer. */
class Connection {
  readonly id = nextId++;
  private readonly framer: Framer;
  private started = false;

  constructor(private readonly socket: net.Socket) {
    this.framer = new Framer(config.framing, config.maxLength, (b, start, end, truncated, error) => batch.frame(this.id, b, start, end, truncated, error));
    socket.setKeepAlive(true, KEEPALIVE_MS);
    socket.setNoDelay(true);
    if (config.idleTimeoutSeconds > 0) socket.setTimeout(config.idleTimeoutSeconds * 1000, () => this.finish());
    // A peer that half-closes (FIN) has sent its last frame: pass it on; node then ends our side.
    socket.on("end", () => this.framer.end());
    socket.on("close", () => {
      this.framer.end();
      connections.delete(this);
      // Its last frames are posted before it is reported gone (the main thread drops its context then).
      batch.flush();
      post({ t: "gone", id: this.id });
      if (closing) closedWhenDone();
    });
    socket.on("error", () => undefined); // ECONNRESET and the like: 'close' follows
  }

  /** Starts the flow of data (connections wait until the main thread has a subscriber). */
  start(): void {
    if (this.started) return;
    this.started = true;
    this.socket.on("data", (chunk: Buffer) => {
      this.framer.push(batch.add(chunk));
      batch.done();
    });
    // Adding a 'data' listener resumes the socket: keep it paused while the flow is held.
    if (readPaused()) this.socket.pause();
  }

  flow(paused: boolean): void {
    if (!this.started) return;
    if (paused) this.socket.pause();
    else this.socket.resume();
  }

  /** Passes on the partial frame and closes (idle timeout, close). */
  finish(): void {
    this.framer.end();
    this.socket.destroy();
  }
}

const server = config.tls ? tls.createServer(tlsOptions(config.tls)) : net.createServer();
server.maxConnections = config.maxConnections;

function adopt(socket: net.Socket): void {
  if (closing) {
    socket.destroy();
    return;
  }
  const c = new Connection(socket);
  connections.add(c);
  post({ t: "open", id: c.id, remoteIp: plainIp(socket.remoteAddress) });
  if (reading) c.start();
}

server.on("drop", (info) => post({ t: "rejected", remoteIp: plainIp(info?.remoteAddress) }));
if (config.tls) {
  server.on("secureConnection", (socket: tls.TLSSocket) => adopt(socket));
  server.on("tlsClientError", (err, socket) => post({ t: "tls-failed", remoteIp: plainIp(socket.remoteAddress), message: err.message }));
} else {
  server.on("connection", (socket: net.Socket) => adopt(socket));
}

let listening = false;
server.on("error", (err: NodeJS.ErrnoException) => {
  if (!listening) post({ t: "listen-failed", code: err.code, message: err.message });
  else post({ t: "server-error", message: err.message });
});
server.listen({ host: config.host, port: config.port, exclusive: true }, () => {
  listening = true;
  const a = server.address() as net.AddressInfo;
  post({ t: "listening", address: a.address, port: a.port, family: a.family });
});

let serverClosed = false;
let closedPosted = false;
function closedWhenDone(): void {
  if (closedPosted || !serverClosed || connections.size > 0) return;
  closedPosted = true;
  post({ t: "closed" }); // the main thread then ends this thread
}

port.on("message", (m: ToThread) => {
  switch (m.t) {
    case "read":
      reading = true;
      for (const c of connections) c.start();
      break;
    case "pause":
      pausedByMain = true;
      updateFlow();
      break;
    case "resume":
      pausedByMain = false;
      updateFlow();
      break;
    case "took": {
      const was = readPaused();
      inFlight -= m.bytes;
      if (was && !readPaused()) updateFlow();
      break;
    }
    case "close":
      if (closing) break;
      closing = true;
      server.close(() => {
        serverClosed = true;
        closedWhenDone();
      });
      if (!listening) serverClosed = true;
      for (const c of [...connections]) c.finish();
      closedWhenDone();
      break;
  }
});

function tlsOptions(o: NonNullable<ThreadConfig["tls"]>): tls.TlsOptions {
  const buf = (u: Uint8Array | undefined): Buffer | undefined => (u ? Buffer.from(u.buffer, u.byteOffset, u.length) : undefined);
  return { cert: buf(o.cert), key: buf(o.key), ca: buf(o.ca), requestCert: o.requestCert, rejectUnauthorized: o.rejectUnauthorized };
}
