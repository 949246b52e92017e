/**
 * What a tcp/tls syslog source's receive thread and its main-thread side say to each other
 * (receive-thread.ts, receiver.ts). The thread owns the server and its connections: it reads,
 * frames (RFC 6587) and scans (scan-rfc5424.ts) and posts the frames of one event-loop turn
 * as one batch; the main thread builds the events and runs the pipeline. A server on the main
 * thread speaks the same messages, apart from frames (it hands those to the receiver
 * directly). Types, constants and the one helper both sides use.
 */
import net from "node:net";
import type { Framing } from "./framing.js";

/** "::ffff:192.0.2.7" (an IPv4 peer on a dual-stack socket) is "192.0.2.7". */
export function plainIp(address: string | undefined): string | undefined {
  return address?.startsWith("::ffff:") && net.isIPv4(address.slice(7)) ? address.slice(7) : address;
}

/** workerData of the thread (and the config of a server on the main thread). */
export interface ThreadConfig {
  host: string;
  port: number;
  framing: Framing;
  maxLength: number;
  maxConnections: number;
  idleTimeoutSeconds: number;
  /** The source's `timezone` (checked on the main thread already). */
  timezone: string;
  /** tls only: what `tls.createServer` gets (files read and checked on the main thread). */
  tls?: { cert?: Uint8Array; key?: Uint8Array; ca?: Uint8Array; requestCert: boolean; rejectUnauthorized: boolean };
}

/** Main thread -> receive thread. */
export type ToThread =
  /** A subscriber is there: read the connections (until then they are accepted, not read). */
  | { t: "read" }
  /** At maxPendingEvents / below it again. */
  | { t: "pause" }
  | { t: "resume" }
  /** A batch of `bytes` bytes was handled (frees room under IN_FLIGHT_BYTES). */
  | { t: "took"; bytes: number }
  /** Stop accepting, pass on the partial frames of open connections, close, then post `closed`. */
  | { t: "close" };

/** Receive thread -> main thread. */
export type FromThread =
  | { t: "listening"; address: string; port: number; family: string }
  | { t: "listen-failed"; code: string | undefined; message: string }
  | { t: "open"; id: number; remoteIp: string | undefined }
  | { t: "gone"; id: number }
  | { t: "rejected"; remoteIp: string | undefined }
  | { t: "tls-failed"; remoteIp: string | undefined; message: string }
  | { t: "server-error"; message: string }
  | Frames
  /** The last message: every frame was posted before it. */
  | { t: "closed" };

/**
 * The frames the thread read since its last batch (from every connection: one batch per turn
 * of its event loop, or per BATCH_BYTES). `buffers[0]` holds the chunks read, one after the
 * other; a frame that spanned chunks comes in a buffer of its own. `records` holds, per frame,
 * FRAME_INTS ints (kind, connection id, buffer index, start, end, truncated 0/1, error index)
 * and, for a SCANNED frame, its scan record right after them.
 */
export interface Frames {
  t: "frames";
  buffers: Uint8Array[];
  records: Int32Array;
  /** The scan records' instants (Tokens.ms). */
  ms: Float64Array;
  /** Framing errors, by the index a FRAMING_ERROR frame names. */
  errors: string[];
  /** Bytes this batch counts against IN_FLIGHT_BYTES. */
  bytes: number;
}

/** A frame's header in `Frames.records` (see Frames). */
export const FRAME_INTS = 7;
/** Chunk bytes gathered into one batch at most (a longer chunk makes a batch of its own). */
export const BATCH_BYTES = 64 * 1024;
/** An RFC 5424 message scanned: its scan record follows the header. */
export const SCANNED = 1;
/** Anything else (RFC 3164, a syntax error): the main thread parses it whole. */
export const RAW = 0;
/** Bytes the framing rejected or cut short: `syslog.unparsed` with errors[error index]. */
export const FRAMING_ERROR = 2;

/**
 * Bytes of posted batches not yet handled by the main thread beyond which the thread stops
 * reading its connections (the kernel's windows then push back on the senders).
 */
export const IN_FLIGHT_BYTES = 4 * 1024 * 1024;
