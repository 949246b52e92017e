import type { Observable } from "rxjs";
import { EventSubject } from "../lib/event-subject.js";
import type { LiveEvent } from "../event.js";
import { GuardedObservable } from "./guarded-observable.js";

/**
 * What a sink consumes. Core subscribes to the sink's inputs itself and hands each event on
 * through this, for two reasons:
 * - an event that a sink's own callback throws on is caught here, so it is reported with the
 *   sink's name and failed, instead of RxJS rethrowing it asynchronously (which would end the
 *   process);
 * - once the sink stopped consuming (its `consume()` settled early, or it unsubscribed), core
 *   still sees every event meant for it and fails it, so no source waits forever for a sink
 *   that is gone.
 */
export class SinkInput {
  private readonly subject = new EventSubject<LiveEvent>();
  private threw = false;
  readonly events: Observable<LiveEvent>;

  constructor(private readonly onThrow: (event: LiveEvent, err: unknown) => void) {
    this.events = new GuardedObservable(this.subject, (event, err) => {
      this.threw = true;
      this.onThrow(event, err);
    });
  }

  /** True while the sink has a subscription to hand events to. */
  get consuming(): boolean {
    return this.subject.observed;
  }

  /** Hands `event` to the sink; false when the sink's callback threw on it. */
  next(event: LiveEvent): boolean {
    this.threw = false;
    this.subject.next(event);
    return !this.threw;
  }

  error(err: unknown): void {
    this.subject.error(err);
  }

  complete(): void {
    this.subject.complete();
  }
}
