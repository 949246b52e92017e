import type { ServerResponse } from "node:http";
import { STREAM_HEADERS } from "./frames.js";

/** What a connection's owner (a trace or metrics client) is told. */
export interface ConnectionEvents {
  /** The socket took its buffered data: writing may resume. */
  onDrain(): void;
  /** The connection is gone (client left, stall, stop). Called once. */
  onClose(): void;
}

/**
 * One open SSE response: writes frames, honours socket backpressure and detects stalls.
 *
 * When `write()` returns false the connection is `blocked` until 'drain': the owner stops
 * writing and keeps its own bounded queue instead, so Node's socket buffer never grows past
 * about one batch. Stall detection runs on the sink's shared tick (`checkStall`), not on a
 * timer per connection.
 */
export class SseConnection {
  private blocked = false;
  private closed = false;
  private lastProgressAt = 0;
  private lastPending = 0;
  private events: ConnectionEvents | undefined;

  constructor(
    private readonly res: ServerResponse,
    private readonly stallTimeoutMs: number,
  ) {
    res.on("drain", () => {
      this.blocked = false;
      this.events?.onDrain();
    });
    res.on("close", () => this.markClosed());
    // Socket errors also close the response; without a listener an 'error' would be fatal.
    res.on("error", () => this.markClosed());
  }

  /**
   * Sends the status line, stream headers and the first frame in one go. False when the client
   * already left (then nothing is sent and the owner must not register it).
   */
  open(events: ConnectionEvents, firstFrame: string, now: number): boolean {
    if (this.closed || this.res.destroyed) return false;
    this.events = events;
    this.res.writeHead(200, STREAM_HEADERS);
    this.write(firstFrame, now);
    return true;
  }

  /** Not blocked by backpressure and not closed. */
  get writable(): boolean {
    return !this.blocked && !this.closed;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /**
   * Writes a frame; false when the socket buffer is now full (the frame itself is still sent).
   * `now` (scheduler ms) starts the stall clock when it blocks.
   */
  write(frame: string | Buffer, now: number): boolean {
    if (this.closed) return false;
    let ok = this.res.write(frame);
    if (!ok) {
      // node:http corks the socket for every write until the next tick, so false here only
      // means "over 16 KiB queued", not "kernel buffer full": hand the frame to the kernel now
      // and count as backpressure only what it leaves behind. Without this, one big burst from
      // the pipeline dropped events for a client reading at full speed.
      this.res.socket?.uncork();
      ok = this.res.writableLength === 0;
    }
    if (!ok && !this.blocked) {
      this.blocked = true;
      this.lastProgressAt = now;
      this.lastPending = this.res.writableLength;
    }
    return ok;
  }

  /**
   * Closes a connection whose buffered bytes did not shrink for `stallTimeoutMs`. Progress is
   * measured on the buffer, not on 'drain', so a slow but steady reader of a big batch is not
   * mistaken for a dead one.
   */
  checkStall(now: number): void {
    if (!this.blocked || this.closed) return;
    const pending = this.res.writableLength;
    if (pending < this.lastPending) {
      this.lastPending = pending;
      this.lastProgressAt = now;
    } else if (now - this.lastProgressAt >= this.stallTimeoutMs) {
      this.destroy();
    }
  }

  /** Ends the response after what was written (graceful). */
  end(): void {
    if (this.closed) return;
    this.res.end();
    // 'close' follows once the socket flushed; the owner forgets us now.
    this.markClosed();
  }

  destroy(): void {
    if (!this.res.destroyed) this.res.destroy();
    this.markClosed();
  }

  private markClosed(): void {
    if (this.closed) return;
    this.closed = true;
    this.events?.onClose();
  }
}
