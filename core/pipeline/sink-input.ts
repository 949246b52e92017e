import { Observable, Subject, Subscriber, type Observer, type Subscription } from "rxjs";
import type { LiveEvent } from "../event.js";

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
  private readonly subject = new Subject<LiveEvent>();
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

/**
 * An Observable whose direct subscribers' `next` is guarded. Operator subscribers (a sink's
 * `events.pipe(...)`) pass through untouched: RxJS already turns what they throw into an
 * error notification, which ends that sink's `consume()` and is reported by core.
 */
class GuardedObservable extends Observable<LiveEvent> {
  constructor(
    source: Subject<LiveEvent>,
    private readonly onThrow: (event: LiveEvent, err: unknown) => void,
  ) {
    super((subscriber) => source.subscribe(subscriber));
  }

  override subscribe(observerOrNext?: Partial<Observer<LiveEvent>> | ((value: LiveEvent) => void) | null): Subscription {
    if (observerOrNext instanceof Subscriber || observerOrNext === null || observerOrNext === undefined) return super.subscribe(observerOrNext as Subscriber<LiveEvent>);
    const observer: Partial<Observer<LiveEvent>> = typeof observerOrNext === "function" ? { next: observerOrNext } : observerOrNext;
    const next = observer.next;
    return super.subscribe({
      next: (event) => {
        try {
          next?.call(observer, event);
        } catch (err) {
          this.onThrow(event, err);
        }
      },
      error: (err: unknown) => observer.error?.call(observer, err),
      complete: () => observer.complete?.call(observer),
    });
  }
}
