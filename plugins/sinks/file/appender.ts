import { fsync } from "node:fs";
import type { WriteStream } from "node:fs";
import type { SchedulerLike, Subscription } from "rxjs";

/** Pending lines of at least this many bytes are written at once, without waiting for the flush interval. */
export const BATCH_BYTES = 256 * 1024;

/**
 * Appends lines to an open WriteStream in batches: lines wait at most `flushIntervalMs` (timer
 * on the injected clock) or until BATCH_BYTES are pending, then go out as one write. While the
 * stream asks us to wait ('drain'), lines collect here; a line that would take this buffer plus
 * the stream's own past `maxBufferBytes` is refused (the caller counts it as dropped).
 */
export class Appender {
  private pending: string[] = [];
  private pendingBytes = 0;
  private inflight = 0;
  private waitingDrain = false;
  private microtask = false;
  private timer: Subscription | undefined;
  private failure: Error | undefined;
  private waiters: { resolve: () => void; reject: (err: Error) => void }[] = [];
  /** Bytes handed to the OS since the last fsync. */
  private unsynced = 0;

  constructor(
    private readonly stream: WriteStream,
    /** The stream's file descriptor (from its 'open' event), for fsync. */
    private readonly fd: number,
    private readonly maxBufferBytes: number,
    private readonly flushIntervalMs: number,
    private readonly clock: SchedulerLike,
    /** Called once when the stream fails (ENOSPC, EIO, ...). */
    private readonly onFailure: (err: Error) => void = () => {},
  ) {
    stream.on("error", this.fail);
  }

  get failed(): Error | undefined {
    return this.failure;
  }

  /** Queues a line; false when it was refused (buffer full or stream failed). */
  write(line: string): boolean {
    if (this.failure) return false;
    const bytes = Buffer.byteLength(line);
    if (this.pendingBytes + this.stream.writableLength + bytes > this.maxBufferBytes) return false;
    this.pending.push(line);
    this.pendingBytes += bytes;
    if (this.waitingDrain) return true;
    if (this.pendingBytes >= BATCH_BYTES) this.flush();
    else if (this.flushIntervalMs === 0) {
      if (!this.microtask) {
        this.microtask = true;
        queueMicrotask(this.flush);
      }
    } else this.timer ??= this.clock.schedule(this.flush, this.flushIntervalMs);
    return true;
  }

  /** Resolves once every accepted line has been handed to the OS; rejects if the stream failed. */
  idle(): Promise<void> {
    this.flush();
    return new Promise((resolve, reject) => {
      this.waiters.push({ resolve, reject });
      this.settle();
    });
  }

  /** Writes what is pending, waits for it, then fsyncs when anything was written since the last one. */
  async sync(): Promise<void> {
    await this.idle();
    if (this.unsynced === 0 || this.stream.closed) return;
    this.unsynced = 0;
    await new Promise<void>((resolve, reject) =>
      fsync(this.fd, (err) => {
        // Pipes and character devices (`/dev/stdout`) cannot be synced, and need not be.
        if (err && err.code !== "EINVAL" && err.code !== "ENOTSUP") reject(err);
        else resolve();
      }),
    );
  }

  /** Ends the stream and resolves when its file is closed. Call after `idle()`/`sync()`. */
  close(): Promise<void> {
    this.timer?.unsubscribe();
    this.timer = undefined;
    return new Promise<void>((resolve) => {
      if (this.stream.closed) return resolve();
      this.stream.once("close", () => resolve());
      if (this.stream.destroyed) return;
      this.stream.end();
    });
  }

  private readonly flush = (): void => {
    this.microtask = false;
    this.timer?.unsubscribe();
    this.timer = undefined;
    if (this.failure || this.waitingDrain || this.pending.length === 0) return;
    const chunk = this.pending.length === 1 ? this.pending[0] : this.pending.join("");
    this.unsynced += this.pendingBytes;
    this.pending = [];
    this.pendingBytes = 0;
    this.inflight++;
    if (!this.stream.write(chunk, this.onWritten)) {
      this.waitingDrain = true;
      this.stream.once("drain", this.onDrain);
    }
  };

  private readonly onDrain = (): void => {
    this.waitingDrain = false;
    this.flush();
    this.settle();
  };

  private readonly onWritten = (err?: Error | null): void => {
    this.inflight--;
    if (err) this.fail(err);
    else this.settle();
  };

  private readonly fail = (err: Error): void => {
    if (this.failure) return;
    this.failure = err;
    this.pending = [];
    this.pendingBytes = 0;
    this.timer?.unsubscribe();
    this.timer = undefined;
    this.onFailure(err);
    this.settle();
  };

  private settle(): void {
    if (this.failure) {
      for (const w of this.waiters.splice(0)) w.reject(this.failure);
    } else if (this.pending.length === 0 && this.inflight === 0 && !this.waitingDrain) {
      for (const w of this.waiters.splice(0)) w.resolve();
    }
  }
}
