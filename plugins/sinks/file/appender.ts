import { fsync } from "node:fs";
import type { WriteStream } from "node:fs";
import type { SchedulerLike } from "rxjs";
import type { LiveEvent } from "../../../core/index.js";
import { BoundedWriter, type BoundedWriterOptions, endOfBurst } from "../../../core/kit.js";

/** Pending lines of at least this many bytes are written at once, without waiting for the flush interval. */
export const BATCH_BYTES = 256 * 1024;

/** How the appender tells its sink which events are safe (CONTRACT 7). */
export interface AppendDelivery {
  /** fsync before an event counts as safe (group commit). */
  fsyncEach?: boolean;
  safe?: (events: LiveEvent[]) => void;
  lost?: (events: LiveEvent[], err: Error) => void;
}

/**
 * Appends lines to an open WriteStream through core's `BoundedWriter` (backpressure, bounded
 * buffer, drops): lines wait at most `flushIntervalMs` (timer on the injected clock; 0 = to the
 * end of the burst) or until BATCH_BYTES are pending, then go out as one write. What is added
 * here is the file's part: fsync and closing.
 */
export class Appender {
  private readonly writer: BoundedWriter<LiveEvent>;
  /** `writer.writtenBytes` at the last fsync: an fsync with nothing new written is skipped. */
  private syncedBytes = 0;
  /** Written events waiting for the next fsync before they are safe (`fsync: true`). */
  private unsynced: LiveEvent[] = [];
  private syncing = false;

  constructor(
    private readonly stream: WriteStream,
    /** The stream's file descriptor (from its 'open' event), for fsync. */
    private readonly fd: number,
    maxBufferBytes: number,
    flushIntervalMs: number,
    clock: SchedulerLike,
    /** `onFailure`: called once when the stream fails (ENOSPC, EIO, ...); `drops`: how refused lines are told. */
    hooks: Pick<BoundedWriterOptions, "onFailure" | "drops"> = {},
    /**
     * Where the events written with `write(line, event)` are told they are safe: handed to the
     * OS, and with `fsyncEach` also fsynced; or lost because the file failed.
     */
    private readonly delivery: AppendDelivery = {},
  ) {
    this.writer = new BoundedWriter<LiveEvent>(stream, {
      maxBufferBytes,
      batchBytes: BATCH_BYTES,
      schedule: flushIntervalMs === 0 ? endOfBurst : (flush) => clock.schedule(flush, flushIntervalMs),
      ...hooks,
      written: delivery.fsyncEach ? (events) => this.syncThenConfirm(events) : delivery.safe,
      unwritten: delivery.lost,
    });
  }

  /**
   * Group commit: one fsync at a time covers every event written before it started; events
   * written meanwhile wait for the next one. So fsync costs per burst, not per line.
   */
  private syncThenConfirm(events: LiveEvent[]): void {
    for (let i = 0; i < events.length; i++) this.unsynced.push(events[i]);
    if (this.syncing) return;
    const batch = this.unsynced;
    this.unsynced = [];
    this.syncing = true;
    fsync(this.fd, (err) => {
      this.syncing = false;
      if (err && err.code !== "EINVAL" && err.code !== "ENOTSUP") this.delivery.lost?.(batch, err);
      else this.delivery.safe?.(batch);
      if (this.unsynced.length > 0) this.syncThenConfirm([]);
    });
  }

  get failed(): Error | undefined {
    return this.writer.failed;
  }

  /** Queues a line; false when it was refused (buffer full or stream failed). `event` is confirmed once safe. */
  write(line: string, event?: LiveEvent): boolean {
    return this.writer.write(line, event);
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
