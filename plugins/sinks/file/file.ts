import { createWriteStream, type WriteStream } from "node:fs";
import { mkdir } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import type { Observable, SchedulerLike, Subscription } from "rxjs";
import { type Counter, type Delivery, DELIVERY, inject, injectable, type LiveEvent, type Logger, LOGGER, METRICS, type Metrics, OPTIONS, PluginProblems, SCHEDULER, type Sink } from "../../../core/index.js";
import { eventToJson } from "../../../core/kit.js";
import { Appender } from "./appender.js";
import { appendProblem } from "./writable.js";
import type { FileOptions } from "./options.js";

/** One event as one JSON line; never throws (BigInt as text, circular data replaced). */
export function toJsonLine(event: LiveEvent): string {
  return `${eventToJson(event)}\n`;
}

/** Opens `path` for appending (parents created); resolves once the file is open. */
export async function openAppend(path: string): Promise<{ stream: WriteStream; fd: number }> {
  await mkdir(dirname(path), { recursive: true });
  const stream = createWriteStream(path, { flags: "a" });
  const fd = await new Promise<number>((ok, fail) => {
    const onError = (err: Error): void => {
      stream.off("open", onOpen);
      fail(err);
    };
    const onOpen = (fd: number): void => {
      stream.off("error", onError);
      ok(fd);
    };
    stream.once("open", onOpen);
    stream.once("error", onError);
  });
  return { stream, fd };
}

/** JSON lines appended to a file. start() opens it (problems are startup problems at `path`). */
@injectable()
export class FileSink implements Sink {
  /** Events are confirmed once written to the OS, and after an fsync with `fsync: true` (CONTRACT 7). */
  readonly acknowledges = true;
  private readonly path: string;
  private opening: Promise<Appender> | undefined;
  private subscription: Subscription | undefined;
  private finish: ((err?: unknown) => void) | undefined;
  private stopping: Promise<void> | undefined;
  private readonly dropped: Counter;
  private readonly eventsDropped: Counter;

  constructor(
    @inject(OPTIONS) private readonly opts: FileOptions,
    @inject(LOGGER) private readonly log: Logger,
    @inject(METRICS) metrics: Metrics,
    @inject(SCHEDULER) private readonly clock: SchedulerLike,
    @inject(DELIVERY) private readonly delivery: Delivery,
  ) {
    this.path = resolve(opts.path);
    this.dropped = metrics.counter("file.dropped", "Events the file sink dropped because the disk was too slow or failing");
    this.eventsDropped = metrics.counter("events.dropped", "Events dropped by operators or full buffers");
  }

  async start(): Promise<void> {
    await this.open();
  }

  /** validate's dry start: the file could be opened for appending; nothing is created or truncated. */
  async check(): Promise<void> {
    const problem = await appendProblem(this.path);
    if (problem !== undefined) throw new PluginProblems([{ path: ["path"], message: `cannot open "${this.opts.path}" for appending: ${problem}` }]);
  }

  consume(events: Observable<LiveEvent>): Promise<void> {
    return this.open().then(
      (appender) =>
        new Promise<void>((resolve, reject) => {
          const done = (err?: unknown): void => {
            this.finish = undefined;
            this.subscription?.unsubscribe();
            appender.reportDrops();
            if (err === undefined) resolve();
            else reject(err);
          };
          this.finish = done;
          this.subscription = events.subscribe({
            // A refused line is counted and warned about by the appender (see open()).
            next: (event) => {
              if (!appender.write(toJsonLine(event), event)) this.delivery.fail(event, appender.failed ?? new Error("the file sink's buffer is full"));
            },
            error: (err: unknown) => void this.flushed(appender).then(() => done(err), () => done(err)),
            complete: () => void this.flushed(appender).then(() => done(), done),
          });
        }),
    );
  }

  /** Writes what is buffered, fsyncs, closes. Safe twice and without start(). */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      this.subscription?.unsubscribe();
      const appender = this.opening ? await this.opening.catch(() => undefined) : undefined;
      if (!appender) return;
      try {
        await this.flushed(appender);
      } catch (err) {
        if (!appender.failed) this.log.error({ err, path: this.path }, "could not flush the file on stop");
      }
      await appender.close();
      this.finish?.();
    })();
    return this.stopping;
  }

  /** Everything taken is handed to the OS, and on disk when `fsync` is on. */
  private flushed(appender: Appender): Promise<void> {
    return this.opts.fsync ? appender.sync() : appender.idle();
  }

  private open(): Promise<Appender> {
    this.opening ??= openAppend(this.path).then(
      ({ stream, fd }) =>
        new Appender(stream, fd, this.opts.maxBufferBytes, this.opts.flushIntervalMs, this.clock, {
          onFailure: (err) => {
            this.log.error({ err, path: this.path }, "writing the file failed");
            this.finish?.(err);
          },
          drops: {
            counters: [this.dropped, this.eventsDropped],
            clock: this.clock,
            warn: (dropped) =>
              this.log.warn({ dropped, path: this.path, maxBufferBytes: this.opts.maxBufferBytes }, "the file is slower than the pipeline: events dropped"),
          },
        }, {
          fsyncEach: this.opts.fsync,
          safe: (events) => this.delivery.confirmAll(events),
          lost: (events, err) => {
            for (const e of events) this.delivery.fail(e, err);
          },
        }),
      (err: NodeJS.ErrnoException) => {
        throw new PluginProblems([{ path: ["path"], message: `cannot open "${this.opts.path}" for appending: ${err.message}` }]);
      },
    );
    return this.opening;
  }
}
