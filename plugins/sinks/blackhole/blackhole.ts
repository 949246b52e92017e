import type { Observable, SchedulerLike, Subscription } from "rxjs";
import { type Counter, inject, injectable, type LiveEvent, LOGGER, type Logger, type Metrics, METRICS, OPTIONS, SCHEDULER, type Sink } from "../../../core/index.js";
import type { BlackholeOptions } from "./options.js";

/**
 * Takes events and forgets them: the sink for benchmarks, so per event it does two additions
 * and nothing else (no formatting, no allocation, no clock read).
 */
@injectable()
export class BlackholeSink implements Sink {
  private readonly counter: Counter;
  /** This sink's own count (the metric is shared by every blackhole of the process). */
  private count = 0;
  private subscription: Subscription | undefined;
  private timer: Subscription | undefined;
  private finish: (() => void) | undefined;

  constructor(
    @inject(OPTIONS) private readonly opts: BlackholeOptions,
    @inject(LOGGER) private readonly log: Logger,
    @inject(METRICS) metrics: Metrics,
    @inject(SCHEDULER) private readonly clock: SchedulerLike,
  ) {
    this.counter = metrics.counter("blackhole.events", "Events taken by blackhole sinks");
  }

  consume(events: Observable<LiveEvent>): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const done = (err?: unknown): void => {
        this.finish = undefined;
        this.stopSummaries();
        if (err === undefined) resolve();
        else reject(err);
      };
      this.finish = done;
      this.startSummaries();
      const counter = this.counter;
      this.subscription = events.subscribe({
        next: () => {
          this.count++;
          counter.inc();
        },
        error: done,
        complete: () => done(),
      });
    });
  }

  /** Safe twice and without start; a consume() still running resolves. */
  async stop(): Promise<void> {
    this.subscription?.unsubscribe();
    this.finish?.();
  }

  private startSummaries(): void {
    if (this.opts.logEverySeconds <= 0 || this.timer) return;
    const periodMs = this.opts.logEverySeconds * 1000;
    let lastAt = this.clock.now();
    let lastCount = this.count;
    // A fresh action per period: virtual-time schedulers chain rescheduled actions.
    const loop = (): void => {
      const now = this.clock.now();
      const perSecond = now > lastAt ? ((this.count - lastCount) * 1000) / (now - lastAt) : 0;
      this.log.info({ events: this.count, perSecond: Math.round(perSecond * 10) / 10 }, "blackhole summary");
      lastAt = now;
      lastCount = this.count;
      this.timer = this.clock.schedule(loop, periodMs);
    };
    this.timer = this.clock.schedule(loop, periodMs);
  }

  private stopSummaries(): void {
    if (!this.timer) return;
    this.timer.unsubscribe();
    this.timer = undefined;
    this.log.info({ events: this.count }, "blackhole done");
  }
}
