import type { Subscriber } from "rxjs";


/**
 * The bounded queue between the HTTP handlers and the pipeline (CONTRACT 5: "accepted events
 * not yet taken by the pipeline"). Requests are accepted whole or not at all; events reach the
 * subscribers asynchronously, at most `chunk` per setImmediate turn, with the HTTP handlers of
 * the next I/O phase in between. RxJS downstream is synchronous, so a slow pipeline shows up
 * here as long turns during which requests pile up in `pending`, which is what turns new posts
 * into 429s instead of unbounded memory.
 *
 * `chunk` defaults to maxPending: a turn hands over one full queue's worth. Smaller chunks
 * looked fairer but made a fast pipeline fall behind large batches (a 1 MiB NDJSON post parses
 * ~9000 events in one handler, and 1024 per turn could not keep up: spurious 429s).
 */
export class IngestQueue<T> {
  private batches: T[][] = [];
  /** Index in `batches` of the batch being delivered, and of its next event. */
  private first = 0;
  private head = 0;
  private count = 0;
  private readonly subscribers = new Set<Subscriber<T>>();
  private timer: NodeJS.Immediate | undefined;
  private draining = false;

  constructor(
    private readonly maxPending: number,
    /** Told every change of `pending` (+ accepted, - delivered or dropped). */
    private readonly onPending: (delta: number) => void = () => undefined,
    /** Events handed over per turn of the event loop. */
    private readonly chunk = maxPending,
  ) {}

  /** Accepted events not yet delivered. */
  get pending(): number {
    return this.count;
  }

  /** No request can be accepted now (checked before parsing a body, to spend no work on it). */
  get isFull(): boolean {
    return this.count >= this.maxPending;
  }

  get isDraining(): boolean {
    return this.draining;
  }

  /**
   * Queues all of `events`, or none when that would put more than maxPending events in the queue.
   * An empty queue takes any one request, so a batch larger than the limit is slow, not refused forever.
   */
  offer(events: T[]): boolean {
    if (this.draining) return false;
    if (this.count > 0 && this.count + events.length > this.maxPending) return false;
    if (events.length === 0) return true;
    this.batches.push(events);
    this.count += events.length;
    this.onPending(events.length);
    this.schedule();
    return true;
  }

  /** Adds a subscriber; the returned function removes it. Every event goes to every subscriber present when it is delivered. */
  attach(subscriber: Subscriber<T>): () => void {
    this.subscribers.add(subscriber);
    if (this.count > 0) this.schedule();
    else if (this.draining) subscriber.complete();
    return () => {
      this.subscribers.delete(subscriber);
      if (this.subscribers.size === 0) this.unschedule();
    };
  }

  /** Takes no more events; delivers what is queued, then completes the subscribers. */
  drain(): void {
    this.draining = true;
    if (this.count === 0) this.completeAll();
  }

  /**
   * The input is gone for good (its server closed): with subscribers, as drain(); without, the
   * queued events are dropped (nobody would ever take them).
   */
  close(): void {
    if (this.subscribers.size > 0) return this.drain();
    this.draining = true;
    this.unschedule();
    if (this.count > 0) this.onPending(-this.count);
    this.batches = [];
    this.first = 0;
    this.head = 0;
    this.count = 0;
  }

  private schedule(): void {
    if (this.timer === undefined && this.subscribers.size > 0) this.timer = setImmediate(this.deliver);
  }

  private unschedule(): void {
    if (this.timer !== undefined) clearImmediate(this.timer);
    this.timer = undefined;
  }

  private readonly deliver = (): void => {
    this.timer = undefined;
    let budget = this.chunk;
    let delivered = 0;
    while (budget > 0 && this.first < this.batches.length && this.subscribers.size > 0) {
      const batch = this.batches[this.first];
      const end = Math.min(batch.length, this.head + budget);
      const targets = [...this.subscribers];
      for (let i = this.head; i < end; i++) {
        for (const s of targets) if (!s.closed) s.next(batch[i]);
      }
      budget -= end - this.head;
      delivered += end - this.head;
      this.count -= end - this.head;
      if (end === batch.length) {
        this.first++;
        this.head = 0;
      } else this.head = end;
    }
    // Drop delivered batches now and then rather than shifting the array per batch.
    if (this.first === this.batches.length) {
      this.batches = [];
      this.first = 0;
    } else if (this.first >= 1024) {
      this.batches = this.batches.slice(this.first);
      this.first = 0;
    }
    if (delivered > 0) this.onPending(-delivered);
    if (this.count > 0) this.schedule();
    else if (this.draining) this.completeAll();
  };

  private completeAll(): void {
    // Completing runs the teardown, which deletes from the set: safe while iterating a Set.
    for (const s of this.subscribers) s.complete();
  }
}
