import { Observable, type SchedulerLike, type Subscription } from "rxjs";
import { type Delivery, DELIVERY, inject, injectable, type LiveEventInput, OPTIONS, SCHEDULER, type Source, untrackedDelivery } from "../../../core/index.js";
import type { DemoOptions } from "./options.js";
import { mailTraffic } from "./traffic.js";

/** Shortest timer period: above 1000 events/s, each tick emits the events that fell due since the last. */
export const MIN_TICK_MS = 1;
/**
 * Most backlog one tick catches up on, in ms of events. A timer that fires later than this
 * (a busy event loop, a CPU too slow for the rate) skips the excess rather than emitting it in
 * one synchronous burst that would stall everything else in the process.
 */
export const MAX_CATCH_UP_MS = 100;

/**
 * The demo stream on `clock`. Cold: each subscription starts its own sequence (from `seed`, or
 * from the clock) and its own timer; unsubscribing cancels the timer.
 *
 * How many events are due is computed from the elapsed time, not by counting ticks, so the
 * rate holds even when timers fire late; backlog past MAX_CATCH_UP_MS is skipped. Each tick's
 * events are one tracked batch; while the source is at maxPendingEvents, due events are
 * skipped too (synthetic traffic has nothing to wait for).
 */
export function demoEvents(o: DemoOptions, clock: SchedulerLike, delivery: Delivery = untrackedDelivery): Observable<LiveEventInput> {
  return new Observable<LiveEventInput>((subscriber) => {
    const next = mailTraffic(o.seed ?? clock.now());
    const limit = o.count ?? Number.POSITIVE_INFINITY;
    const tickMs = Math.max(1000 / o.rate, MIN_TICK_MS);
    const maxBurst = Math.max(1, Math.ceil((o.rate * MAX_CATCH_UP_MS) / 1000));
    const startMs = clock.now();
    let emitted = 0;
    let skipped = 0;
    const tick = (): void => {
      const now = clock.now();
      // The epsilon absorbs float error of virtual clocks (3 ticks of 333.33 ms are 999.99 ms).
      let due = Math.floor(((now - startMs) * o.rate) / 1000 + 1e-6) - skipped - emitted;
      if (due > maxBurst) {
        skipped += due - maxBurst;
        due = maxBurst;
      }
      due = Math.min(due, limit - emitted);
      if (due > 0 && delivery.full) {
        skipped += due;
        due = 0;
      }
      const batch: LiveEventInput[] = [];
      for (let i = 0; i < due; i++) batch.push(next(now));
      emitted += due;
      for (const e of due > 0 ? delivery.track(batch) : batch) {
        if (subscriber.closed) break;
        subscriber.next(e);
      }
      if (emitted >= limit) subscriber.complete();
    };
    // A fresh action per tick rather than `this.schedule`: virtual-time schedulers chain
    // rescheduled actions as children, and a long chain overflows the stack on unsubscribe.
    let action: Subscription;
    const loop = (): void => {
      tick();
      if (!subscriber.closed) action = clock.schedule(loop, tickMs);
    };
    action = clock.schedule(loop, tickMs);
    return () => action.unsubscribe();
  });
}

@injectable()
export class DemoSource implements Source {
  constructor(
    @inject(OPTIONS) private readonly opts: DemoOptions,
    @inject(SCHEDULER) private readonly clock: SchedulerLike,
    @inject(DELIVERY) private readonly delivery: Delivery,
  ) {}

  events(): Observable<LiveEventInput> {
    return demoEvents(this.opts, this.clock, this.delivery);
  }
}
