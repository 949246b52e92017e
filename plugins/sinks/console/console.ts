import type { Observable, SchedulerLike, Subscription } from "rxjs";
import { type Delivery, DELIVERY, inject, injectable, type LiveEvent, type Logger, LOGGER, METRICS, type Metrics, OPTIONS, SCHEDULER, type Sink } from "../../../core/index.js";
import { BoundedWriter } from "../../../core/kit.js";
import { formatEvent, type FormatOptions } from "./format.js";
import type { ConsoleOptions } from "./options.js";

export interface PrinterServices {
  log: Logger;
  metrics: Metrics;
  clock: SchedulerLike;
  /** For `color: "auto"`; default: the process environment. */
  env?: NodeJS.ProcessEnv;
  /** Told each event once its line was written (CONTRACT 7); without it nothing is confirmed. */
  delivery?: Delivery;
}

/** Whether pretty output gets ANSI colors on `out`. */
export function useColor(o: ConsoleOptions, out: { isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): boolean {
  if (o.color === "always") return true;
  if (o.color === "never") return false;
  return out.isTTY === true && !env.NO_COLOR;
}

/**
 * The console sink's work on any writable (stdout in production, a PassThrough in tests):
 * format, write with a bounded buffer, count and report what had to be dropped.
 */
export class EventPrinter {
  private readonly writer: BoundedWriter<LiveEvent>;
  private readonly fmt: FormatOptions;
  private readonly delivery: Delivery | undefined;
  private subscription: Subscription | undefined;
  private finish: ((err?: unknown) => void) | undefined;
  private stopping: Promise<void> | undefined;

  constructor(
    out: NodeJS.WritableStream & { isTTY?: boolean; writableLength?: number },
    opts: ConsoleOptions,
    s: PrinterServices,
  ) {
    this.fmt = { format: opts.format, color: opts.format === "pretty" && useColor(opts, out, s.env) };
    const dropped = s.metrics.counter("console.dropped", "Events the console sink dropped because stdout was too slow or closed");
    const eventsDropped = s.metrics.counter("events.dropped", "Events dropped by operators or full buffers");
    const delivery = (this.delivery = s.delivery);
    this.writer = new BoundedWriter<LiveEvent>(out, {
      maxBufferBytes: opts.maxBufferBytes,
      written: delivery && ((events) => delivery.confirmAll(events)),
      unwritten: delivery && ((events, err) => events.forEach((e) => delivery.fail(e, err))),
      onFailure: (err) => {
        s.log.error({ err }, "console output failed");
        // Nothing more can be written: give up now rather than drop the rest of the stream.
        this.finish?.(err);
      },
      drops: {
        counters: [dropped, eventsDropped],
        clock: s.clock,
        warn: (n) => s.log.warn({ dropped: n, maxBufferBytes: opts.maxBufferBytes }, "stdout is slower than the pipeline: events dropped"),
      },
    });
  }

  /** Resolves when `events` completed and all of it was written; rejects when the output failed. */
  consume(events: Observable<LiveEvent>): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const done = (err?: unknown): void => {
        this.finish = undefined;
        this.subscription?.unsubscribe();
        this.writer.reportDrops();
        if (err === undefined) resolve();
        else reject(err);
      };
      this.finish = done;
      this.subscription = events.subscribe({
        // A refused line is counted and warned about by the writer (see the constructor).
        next: (event) => {
          if (!this.writer.write(formatEvent(event, this.fmt), this.delivery && event)) this.delivery?.fail(event, this.writer.failed ?? new Error("stdout buffer full"));
        },
        error: (err: unknown) => void this.writer.flushed().then(() => done(err), () => done(err)),
        complete: () => void this.writer.flushed().then(() => done(), done),
      });
    });
  }

  /** Stops taking events, writes what is buffered. Safe twice; a consume() still running resolves. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      this.subscription?.unsubscribe();
      try {
        await this.writer.flushed();
      } catch {
        // Already reported when the output failed; stopping must not fail on it.
      }
      this.writer.detach();
      this.finish?.();
    })();
    return this.stopping;
  }
}

/** JSON lines (or pretty lines) on the process's stdout; `EventPrinter` does the work. */
@injectable()
export class ConsoleSink implements Sink {
  /** Events are confirmed once their line is written to stdout. */
  readonly acknowledges = true;
  private printer: EventPrinter | undefined;

  constructor(
    @inject(OPTIONS) private readonly opts: ConsoleOptions,
    @inject(LOGGER) private readonly log: Logger,
    @inject(METRICS) private readonly metrics: Metrics,
    @inject(SCHEDULER) private readonly clock: SchedulerLike,
    @inject(DELIVERY) private readonly delivery: Delivery,
  ) {}

  consume(events: Observable<LiveEvent>): Promise<void> {
    this.printer ??= new EventPrinter(process.stdout, this.opts, { log: this.log, metrics: this.metrics, clock: this.clock, delivery: this.delivery });
    return this.printer.consume(events);
  }

  async stop(): Promise<void> {
    await this.printer?.stop();
  }
}
