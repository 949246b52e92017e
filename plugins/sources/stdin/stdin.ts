import { Observable, type SchedulerLike } from "rxjs";
import { type Delivery, DELIVERY, inject, injectable, type LiveEventInput, LOGGER, type Logger, METRICS, type Metrics, OPTIONS, SCHEDULER, type Source, untrackedDelivery } from "../../../core/index.js";
import { lineToEvent, utf8Boundary } from "../../../core/kit.js";
import type { StdinOptions } from "./options.js";

export interface LinesOptions extends Omit<StdinOptions, "maxPendingEvents" | "ackTimeoutMs"> {
  /** Called with the 1-based line number of each line cut at `maxLineBytes`. */
  onTruncated?: (line: number) => void;
  /** Tracks one batch per read chunk and pauses reading while it is full (CONTRACT 7). */
  delivery?: Delivery;
}

const LF = 0x0a;
const CR = 0x0d;

/**
 * Splits a byte stream into lines at LF. Works on bytes, so a character split across chunks is
 * decoded whole, and holds at most `maxBytes + 1` bytes of one line (the extra byte is room for
 * the CR of a CRLF ending).
 */
export class LineSplitter {
  private parts: Buffer[] = [];
  private size = 0;
  private overflow = false;

  constructor(
    private readonly maxBytes: number,
    private readonly onLine: (line: Buffer, truncated: boolean) => void,
    /** Cut truncated lines at a UTF-8 character boundary (false: any byte is a character). */
    private readonly utf8 = true,
  ) {}

  push(chunk: Buffer): void {
    let start = 0;
    while (start < chunk.length) {
      const nl = chunk.indexOf(LF, start);
      this.append(chunk, start, nl === -1 ? chunk.length : nl);
      if (nl === -1) return;
      this.flush();
      start = nl + 1;
    }
  }

  /** At EOF: the last line, when it has no newline. */
  end(): void {
    if (this.size > 0 || this.overflow) this.flush();
  }

  private append(chunk: Buffer, start: number, end: number): void {
    const room = this.maxBytes + 1 - this.size;
    if (end - start > room) {
      this.overflow = true;
      end = start + room;
    }
    if (end > start) {
      this.parts.push(chunk.subarray(start, end));
      this.size += end - start;
    }
  }

  private flush(): void {
    let line = this.parts.length === 1 ? this.parts[0] : Buffer.concat(this.parts, this.size);
    let truncated = this.overflow;
    if (!truncated && line.length > 0 && line[line.length - 1] === CR) line = line.subarray(0, line.length - 1);
    if (line.length > this.maxBytes) truncated = true;
    if (truncated) line = line.subarray(0, this.utf8 ? utf8Boundary(line, this.maxBytes) : Math.min(line.length, this.maxBytes));
    this.parts = [];
    this.size = 0;
    this.overflow = false;
    this.onLine(line, truncated);
  }
}


/**
 * One event per line of `readable`, completing at its end. Text lines become `{ type, data: {
 * message } }`; JSON-object lines keep their fields (CONTRACT 1). CRLF and LF endings, a last
 * line without newline, blank lines skipped. A read error errors the observable. Unsubscribing
 * stops reading (pauses the stream; it is the caller's to close). With `delivery`, the stream
 * is paused while the source has `maxPendingEvents` unsettled events.
 */
export function linesToEvents(readable: NodeJS.ReadableStream, o: LinesOptions): Observable<LiveEventInput> {
  return new Observable<LiveEventInput>((subscriber) => {
    const plain = { defaultType: o.eventType };
    const cut = { defaultType: o.eventType, extra: { truncated: true } };
    let lineNo = 0;
    const delivery = o.delivery ?? untrackedDelivery;
    /** The events of the chunk being split: tracked and emitted together. */
    let batch: LiveEventInput[] = [];
    const emitBatch = (): void => {
      if (batch.length === 0) return;
      const events = delivery.track(batch);
      batch = [];
      for (const e of events) subscriber.next(e);
    };
    const splitter = new LineSplitter(o.maxLineBytes, (bytes, truncated) => {
      lineNo++;
      let line = bytes.toString(o.encoding);
      if (lineNo === 1 && line.charCodeAt(0) === 0xfeff) line = line.slice(1);
      if (truncated) o.onTruncated?.(lineNo);
      if (line.trim() === "") return;
      batch.push(lineToEvent(line, truncated ? cut : plain));
    }, o.encoding === "utf8");
    let done = false;
    const onData = (chunk: Buffer | string): void => {
      splitter.push(typeof chunk === "string" ? Buffer.from(chunk, o.encoding) : chunk);
      emitBatch();
      if (delivery.full) {
        readable.pause();
        delivery.onCapacity(() => {
          if (!done) readable.resume();
        });
      }
    };
    const onEnd = (): void => {
      if (done) return;
      done = true;
      splitter.end();
      emitBatch();
      subscriber.complete();
    };
    const onError = (err: Error): void => {
      if (done) return;
      done = true;
      subscriber.error(err);
    };
    const stream = readable as NodeJS.ReadableStream & { readableEnded?: boolean };
    if (stream.readableEnded) {
      subscriber.complete();
      return;
    }
    readable.on("data", onData);
    readable.on("end", onEnd);
    // A destroyed stream closes without 'end': what was read still counts.
    readable.on("close", onEnd);
    readable.on("error", onError);
    return () => {
      readable.off("data", onData);
      readable.off("end", onEnd);
      readable.off("close", onEnd);
      readable.off("error", onError);
      if (!done) readable.pause();
    };
  });
}

/** Reads the process's standard input; `linesToEvents` is the part worth testing. */
@injectable()
export class StdinSource implements Source {
  constructor(
    @inject(OPTIONS) private readonly opts: StdinOptions,
    @inject(LOGGER) private readonly log: Logger,
    @inject(METRICS) private readonly metrics: Metrics,
    @inject(SCHEDULER) private readonly clock: SchedulerLike,
    @inject(DELIVERY) private readonly delivery: Delivery,
  ) {}

  events(): Observable<LiveEventInput> {
    const truncatedLines = this.metrics.counter("stdin.truncated", "Lines cut at maxLineBytes by stdin sources");
    let lastWarnAt = Number.NEGATIVE_INFINITY;
    let unreported = 0;
    return linesToEvents(process.stdin, {
      ...this.opts,
      delivery: this.delivery,
      onTruncated: (line) => {
        truncatedLines.inc();
        unreported++;
        const now = this.clock.now();
        // At most one warning a second: a file of long lines must not flood stderr.
        if (now - lastWarnAt < 1000) return;
        lastWarnAt = now;
        this.log.warn({ line, truncatedLines: unreported, maxLineBytes: this.opts.maxLineBytes }, "line longer than maxLineBytes truncated");
        unreported = 0;
      },
    });
  }
}
