import { Observable, type Subscriber, type SubjectLike } from "rxjs";

/**
 * A multicasting Subject for the event path: what RxJS's Subject does for `next`, `error` and
 * `complete`, minus its per-event cost. RxJS's `Subject.next` allocates a closure for its
 * error context and re-checks its state on every call; every event crosses two of them (a
 * source's multicast, a sink's hand-off), so on the headline path that was measurable.
 *
 * Semantics kept: subscribers get events in subscription order; one that subscribes or leaves
 * during a `next` takes effect from the next event (the list is replaced, never changed in
 * place); after `error` or `complete` nothing more is delivered and a late subscriber gets the
 * same end at once. Memory: one array of the current subscribers.
 */
export class EventSubject<T> extends Observable<T> implements SubjectLike<T> {
  private subscribers: readonly Subscriber<T>[] = [];
  private ended: { error: unknown } | "complete" | undefined;

  constructor() {
    super((subscriber) => this.add(subscriber));
  }

  /** True while someone is subscribed. */
  get observed(): boolean {
    return this.subscribers.length > 0;
  }

  next(value: T): void {
    const list = this.subscribers;
    // The common case, one subscriber, without a loop.
    if (list.length === 1) list[0].next(value);
    else for (let i = 0; i < list.length; i++) list[i].next(value);
  }

  error(err: unknown): void {
    if (this.ended) return;
    this.ended = { error: err };
    const list = this.subscribers;
    this.subscribers = [];
    for (const s of list) s.error(err);
  }

  complete(): void {
    if (this.ended) return;
    this.ended = "complete";
    const list = this.subscribers;
    this.subscribers = [];
    for (const s of list) s.complete();
  }

  private add(subscriber: Subscriber<T>): () => void {
    if (this.ended === "complete") subscriber.complete();
    else if (this.ended) subscriber.error(this.ended.error);
    else this.subscribers = [...this.subscribers, subscriber];
    return () => {
      this.subscribers = this.subscribers.filter((s) => s !== subscriber);
    };
  }
}
