import { Observable, Subscriber, type Observer, type Subscription } from "rxjs";
import type { LiveEvent } from "../event.js";

/**
 * An Observable of a Subject's events whose direct subscribers' `next` is guarded: what it
 * throws goes to `onThrow` instead of RxJS rethrowing it asynchronously (which would end the
 * process). With `cutOff`, a subscriber that threw is unsubscribed and gets nothing more.
 * Operator subscribers (`events.pipe(...)`) pass through untouched: RxJS already turns what
 * their operators throw into an error notification.
 */
export class GuardedObservable extends Observable<LiveEvent> {
  constructor(
    source: Observable<LiveEvent>,
    private readonly onThrow: (event: LiveEvent, err: unknown) => void,
    private readonly cutOff = false,
  ) {
    super((subscriber) => source.subscribe(subscriber));
  }

  override subscribe(observerOrNext?: Partial<Observer<LiveEvent>> | ((value: LiveEvent) => void) | null): Subscription {
    if (observerOrNext instanceof Subscriber || observerOrNext === null || observerOrNext === undefined) return super.subscribe(observerOrNext as Subscriber<LiveEvent>);
    const observer: Partial<Observer<LiveEvent>> = typeof observerOrNext === "function" ? { next: observerOrNext } : observerOrNext;
    const next = observer.next;
    let threw = false;
    let subscription: Subscription | undefined = undefined;
    subscription = super.subscribe({
      next: (event) => {
        if (threw) return;
        try {
          next?.call(observer, event);
        } catch (err) {
          this.onThrow(event, err);
          if (this.cutOff) {
            threw = true;
            subscription?.unsubscribe();
          }
        }
      },
      error: (err: unknown) => observer.error?.call(observer, err),
      complete: () => observer.complete?.call(observer),
    });
    // Thrown during subscribe itself (a replaying source): cut off now that the handle exists.
    if (threw) subscription.unsubscribe();
    return subscription;
  }
}
