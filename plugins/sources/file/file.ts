import { Observable, type SchedulerLike } from "rxjs";
import {
  CHECKPOINTS,
  DELIVERY,
  inject,
  injectable,
  LOGGER,
  METRICS,
  OPTIONS,
  SCHEDULER,
  type CheckpointStore,
  type Delivery,
  type LiveEventInput,
  type Logger,
  type Metrics,
  type Source,
} from "../../../core/index.js";
import type { FileOptions } from "./options.js";
import { Tailer, type TailerMetrics } from "./tailer.js";

/**
 * Tails the files the globs match (CONTRACT 1 "File events"). Cold: subscribing starts a
 * Tailer, unsubscribing stops it; drain() reads every file to its end, then completes. One
 * subscription at a time: the checkpoint belongs to the component.
 */
@injectable()
export class FileSource implements Source {
  private active: Tailer | undefined;
  private readonly metrics: TailerMetrics;

  constructor(
    @inject(OPTIONS) private readonly opts: FileOptions,
    @inject(LOGGER) private readonly log: Logger,
    @inject(METRICS) metrics: Metrics,
    @inject(SCHEDULER) private readonly clock: SchedulerLike,
    @inject(CHECKPOINTS) private readonly store: CheckpointStore,
    @inject(DELIVERY) private readonly delivery: Delivery,
  ) {
    this.metrics = {
      lines: metrics.counter("file.lines", "Lines read by file sources"),
      truncatedLines: metrics.counter("file.truncated-lines", "Lines longer than maxLineBytes, truncated or split by file sources"),
      checkpointErrors: metrics.counter("file.checkpoint-errors", "File source checkpoints that could not be read or written"),
      files: metrics.gauge("file.files", "Files tracked by file sources"),
    };
  }

  events(): Observable<LiveEventInput> {
    return new Observable<LiveEventInput>((subscriber) => {
      const tailer = new Tailer(
        { opts: this.opts, log: this.log, clock: this.clock, store: this.store, delivery: this.delivery, metrics: this.metrics, cwd: process.cwd() },
        subscriber,
      );
      this.active = tailer;
      tailer.start();
      // `active` outlives the subscription: stop() still saves what a drain read.
      return () => tailer.close();
    });
  }

  drain(): void {
    this.active?.drain();
  }

  /** After the run (every sink flushed): the positions of a drain are saved now. */
  async stop(): Promise<void> {
    await this.active?.finish();
  }

  /** Resolves when the current cycle and checkpoint writes are done (tests, benchmarks). */
  settled(): Promise<void> {
    return this.active?.settled() ?? Promise.resolve();
  }
}
