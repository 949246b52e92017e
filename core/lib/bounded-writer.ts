/**
 * Chunks to a writable with backpressure and a bounded buffer, for sinks that must not let a
 * slow output (stdout piped to a pager, a busy disk) grow the process without limit.
 */
import type { SchedulerLike, Unsubscribable } from "rxjs";
import type { Counter } from "../metrics/registry.js";

/** What the writer needs of a stream: `process.stdout`, an `fs.WriteStream`, any `Writable`. */
export type WritableLike = NodeJS.WritableStream & { readonly writableLength?: number };

/** How refused chunks are told, so every sink counts and warns about them the same way. */
export interface DropReport {
  /** Each is incremented once per refused chunk (`events.dropped` and the sink's own). */
  counters: readonly Counter[];
  /** Spaces the warnings; the injected SCHEDULER, so tests control time. */
  clock: SchedulerLike;
  /**
   * Told how many chunks were refused since its previous call: at most once a second (a log
   * line per drop would flood the log exactly when the process is already behind) and once
   * more from `reportDrops()`. Not called once the writable failed: that failure was reported.
   */
  warn: (dropped: number) => void;
}

export interface BoundedWriterOptions<T = unknown> {
  /** A chunk that would take the bytes held here plus the writable's own buffer past this is refused. */
  maxBufferBytes: number;
  /**
   * Arranges one later `flush()` of what is queued; called when a chunk is queued and none is
   * arranged yet. Default `endOfBurst`. The file sink passes a timer on its SCHEDULER.
   */
  schedule?: (flush: () => void) => Unsubscribable;
  /** Queued bytes that are written at once instead of waiting for `schedule`. Default: no limit. */
  batchBytes?: number;
  /** Called once when the writable fails (EPIPE on a closed stdout, ENOSPC, ...). */
  onFailure?: (err: Error) => void;
  /** Counting and warning about refused chunks; without it they are only in `droppedChunks`. */
  drops?: DropReport;
  /**
   * Told the tags of accepted chunks once the writable has taken them (its write callback
   * ran), in order, one call per write: how a sink confirms events (CONTRACT 7).
   */
  written?: (tags: T[]) => void;
  /** Told the tags of accepted chunks that will never be written because the writable failed. */
  unwritten?: (tags: T[], err: Error) => void;
}

const DROP_WARN_EVERY_MS = 1000;

/**
 * Flushes at the end of the current synchronous burst, so a burst of chunks is one write.
 * Cannot be cancelled: a stale flush only writes what is queued by then, still after the burst.
 */
export function endOfBurst(flush: () => void): Unsubscribable {
  queueMicrotask(flush);
  return { unsubscribe: () => {} };
}

/**
 * Queues chunks in memory and hands them to `out` as one joined write per flush. While `out`
 * asks us to wait (`write()` returned false), chunks collect here until 'drain', so at most
 * one batch sits in the writable's buffer; a chunk past `maxBufferBytes` is refused (dropped)
 * rather than held. After a failure nothing more is written and waiters are rejected.
 */
export class BoundedWriter<T = unknown> {
  private pending: string[] = [];
  /** Tags of the pending chunks that have one (events to confirm), in order. */
  private tags: T[] = [];
  private pendingBytes = 0;
  /** Writes handed to `out` whose callback has not run yet. */
  private inflight = 0;
  private waitingDrain = false;
  private scheduled: Unsubscribable | undefined;
  private failure: Error | undefined;
  private waiters: { resolve: () => void; reject: (err: Error) => void }[] = [];
  private written = 0;
  private refusedChunks = 0;
  private refusedBytes = 0;
  private unreported = 0;
  private lastWarnAt = Number.NEGATIVE_INFINITY;
  private readonly schedule: (flush: () => void) => Unsubscribable;
  private readonly batchBytes: number;

  constructor(
    private readonly out: WritableLike,
    private readonly opts: BoundedWriterOptions<T>,
  ) {
    this.schedule = opts.schedule ?? endOfBurst;
    this.batchBytes = opts.batchBytes ?? Number.POSITIVE_INFINITY;
    out.on("error", this.fail);
  }

  /** The writable has failed: nothing more can be written. */
  get failed(): Error | undefined {
    return this.failure;
  }

  /** Bytes held here or in the writable's buffer: what `maxBufferBytes` bounds. */
  get bufferedBytes(): number {
    return this.pendingBytes + (this.out.writableLength ?? 0);
  }

  /** Bytes handed to the writable so far (not necessarily on disk: the file sink fsyncs). */
  get writtenBytes(): number {
    return this.written;
  }

  /** Chunks refused so far (buffer full or writable failed). */
  get droppedChunks(): number {
    return this.refusedChunks;
  }

  /** Bytes of the chunks refused so far. */
  get droppedBytes(): number {
    return this.refusedBytes;
  }

  /**
   * Queues a chunk; false when it was dropped (over `maxBufferBytes`, or the writable failed).
   * A `tag` comes back through `written` once the chunk is written.
   */
  write(chunk: string, tag?: T): boolean {
    const bytes = Buffer.byteLength(chunk);
    if (this.failure || this.bufferedBytes + bytes > this.opts.maxBufferBytes) {
      this.drop(bytes);
      return false;
    }
    this.pending.push(chunk);
    this.pendingBytes += bytes;
    if (tag !== undefined) this.tags.push(tag);
    // 'drain' flushes; a write now would only pile into the writable's buffer.
    if (this.waitingDrain) return true;
    if (this.pendingBytes >= this.batchBytes) this.flush();
    else this.scheduled ??= this.schedule(this.flush);
    return true;
  }

  /** Hands everything queued to the writable now, unless it asked us to wait or failed. */
  readonly flush = (): void => {
    this.cancelFlush();
    if (this.failure || this.waitingDrain || this.pending.length === 0) return;
    const chunk = this.pending.length === 1 ? this.pending[0] : this.pending.join("");
    this.written += this.pendingBytes;
    this.pending = [];
    this.pendingBytes = 0;
    this.inflight++;
    const tags = this.tags;
    let done = this.onWritten;
    if (tags.length > 0) {
      this.tags = [];
      // One closure per write (a batch of chunks), not per chunk.
      done = (err?: Error | null) => {
        this.onWritten(err);
        if (err) this.opts.unwritten?.(tags, err);
        else this.opts.written?.(tags);
      };
    }
    if (!this.out.write(chunk, done)) {
      this.waitingDrain = true;
      this.out.once("drain", this.onDrain);
    }
  };

  /** Resolves once every accepted chunk was written by the writable; rejects if it failed. */
  flushed(): Promise<void> {
    this.flush();
    return new Promise((resolve, reject) => {
      this.waiters.push({ resolve, reject });
      this.settle();
    });
  }

  /** Drops a scheduled flush (before ending the stream); queued chunks wait for `flush()`. */
  cancelFlush(): void {
    this.scheduled?.unsubscribe();
    this.scheduled = undefined;
  }

  /** Warns about drops not told yet, whatever the time since the last warning (input ended). */
  reportDrops(): void {
    this.warnDrops(true);
  }

  /** Stops listening to the writable (after `flushed()`), so a long-lived stdout keeps no listener per sink. */
  detach(): void {
    this.cancelFlush();
    this.out.off("error", this.fail);
    this.out.off("drain", this.onDrain);
  }

  private drop(bytes: number): void {
    this.refusedChunks++;
    this.refusedBytes += bytes;
    if (!this.opts.drops) return;
    for (const counter of this.opts.drops.counters) counter.inc();
    this.unreported++;
    this.warnDrops(false);
  }

  private warnDrops(final: boolean): void {
    const drops = this.opts.drops;
    if (!drops || this.unreported === 0) return;
    const now = drops.clock.now();
    if (!final && now - this.lastWarnAt < DROP_WARN_EVERY_MS) return;
    this.lastWarnAt = now;
    if (!this.failure) drops.warn(this.unreported);
    this.unreported = 0;
  }

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
    const tags = this.tags;
    this.tags = [];
    if (tags.length > 0) this.opts.unwritten?.(tags, err);
    this.cancelFlush();
    this.opts.onFailure?.(err);
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
