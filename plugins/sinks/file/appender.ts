import { fsync } from "node:fs";
import type { WriteStream } from "node:fs";
import type { SchedulerLike } from "rxjs";
import { BoundedWriter, endOfBurst, type BoundedWriterOptions } from "../../../core/index.js";

/** Pending lines of at least this many bytes are written at once, without waiting for the flush interval. */
export const BATCH_BYTES = 256 * 1024;

/**
 * Appends lines to an open WriteStream through core's `BoundedWriter` (backpressure, bounded
 * buffer, drops): lines wait at most `flushIntervalMs` (timer on the injected clock; 0 = to the
 * end of the burst) or until BATCH_BYTES are pending, then go out as one write. What is added
 * here is the file's part: fsync and closing.
 */
export class Appender {
  private readonly writer: BoundedWriter;
  /** `writer.writtenBytes` at the last fsync: an fsync with nothing new written is skipped. */
  private syncedBytes = 0;

  constructor(
    private readonly stream: WriteStream,
    /** The stream's file descriptor (from its 'open' event), for fsync. */
    private readonly fd: number,
    maxBufferBytes: number,
    flushIntervalMs: number,
    clock: SchedulerLike,
    /** `onFailure`: called once when the stream fails (ENOSPC, EIO, ...); `drops`: how refused lines are told. */
    hooks: Pick<BoundedWriterOptions, "onFailure" | "drops"> = {},
  ) {
    this.writer = new BoundedWriter(stream, {
      maxBufferBytes,
      batchBytes: BATCH_BYTES,
      schedule: flushIntervalMs === 0 ? endOfBurst : (flush) => clock.schedule(flush, flushIntervalMs),
      ...hooks,
    });
  }

  get failed(): Error | undefined {
    return this.writer.failed;
  }

  /** Queues a line; false when it was refused (buffer full or stream failed). */
  write(line: string): boolean {
    return this.writer.write(line);
  }

  /** Resolves once every accepted line has been handed to the OS; rejects if the stream failed. */
  idle(): Promise<void> {
    return this.writer.flushed();
  }

  /** Warns about refused lines not told yet (the input ended). */
  reportDrops(): void {
    this.writer.reportDrops();
  }

  /** Writes what is pending, waits for it, then fsyncs when anything was written since the last one. */
  async sync(): Promise<void> {
    await this.idle();
    if (this.writer.writtenBytes === this.syncedBytes || this.stream.closed) return;
    this.syncedBytes = this.writer.writtenBytes;
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
    // No timer may fire into the ended stream; the 'error' listener stays for errors on close.
    this.writer.cancelFlush();
    return new Promise<void>((resolve) => {
      if (this.stream.closed) return resolve();
      this.stream.once("close", () => resolve());
      if (this.stream.destroyed) return;
      this.stream.end();
    });
  }
}
