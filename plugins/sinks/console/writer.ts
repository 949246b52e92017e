/**
 * Lines to a writable with backpressure and a bounded buffer: while the writable asks us to
 * wait ('drain'), lines collect here, and a line that would take this buffer plus the
 * writable's own past `maxBufferBytes` is refused (the caller counts it as dropped).
 * Lines written in one synchronous burst go out as one write.
 */
export class BoundedWriter {
  private pending: string[] = [];
  private pendingBytes = 0;
  private inflight = 0;
  private scheduled = false;
  private waitingDrain = false;
  private failure: Error | undefined;
  private waiters: { resolve: () => void; reject: (err: Error) => void }[] = [];

  constructor(
    private readonly out: NodeJS.WritableStream & { writableLength?: number },
    private readonly maxBufferBytes: number,
    /** Called once when the writable fails (EPIPE on a closed stdout, ...). */
    private readonly onFailure: (err: Error) => void = () => {},
  ) {
    out.on("error", this.fail);
  }

  /** The writable has failed: nothing more can be written. */
  get failed(): Error | undefined {
    return this.failure;
  }

  /** Bytes held here or in the writable's buffer. */
  get bufferedBytes(): number {
    return this.pendingBytes + (this.out.writableLength ?? 0);
  }

  /** Queues a line; false when it was refused (buffer full or writable failed). */
  write(line: string): boolean {
    if (this.failure) return false;
    const bytes = Buffer.byteLength(line);
    if (this.bufferedBytes + bytes > this.maxBufferBytes) return false;
    this.pending.push(line);
    this.pendingBytes += bytes;
    if (!this.scheduled && !this.waitingDrain) {
      this.scheduled = true;
      queueMicrotask(this.flush);
    }
    return true;
  }

  /** Resolves once every accepted line has been handed to the OS; rejects if the writable failed. */
  idle(): Promise<void> {
    this.flush();
    return new Promise((resolve, reject) => {
      this.waiters.push({ resolve, reject });
      this.settle();
    });
  }

  /** Stops listening to the writable (after `idle()`), so a long-lived stdout keeps no listener per sink. */
  detach(): void {
    this.out.off("error", this.fail);
    this.out.off("drain", this.onDrain);
  }

  private readonly flush = (): void => {
    this.scheduled = false;
    if (this.failure || this.waitingDrain || this.pending.length === 0) return;
    const chunk = this.pending.length === 1 ? this.pending[0] : this.pending.join("");
    this.pending = [];
    this.pendingBytes = 0;
    this.inflight++;
    if (!this.out.write(chunk, this.onWritten)) {
      this.waitingDrain = true;
      this.out.once("drain", this.onDrain);
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
