/**
 * A fixed-capacity FIFO: pushing past capacity forgets the oldest item. Push and indexing are
 * O(1) with no copying, so the event list can hold 100k rows and take thousands per second.
 */
export class Ring<T> {
  private readonly items: (T | undefined)[];
  private start = 0;
  private count = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`ring capacity must be a positive integer, not ${capacity}`);
    this.items = Array.from<T | undefined>({ length: capacity });
  }

  get size(): number {
    return this.count;
  }

  /** Appends `item`; returns the item it pushed out, if the ring was full. */
  push(item: T): T | undefined {
    if (this.count < this.capacity) {
      this.items[(this.start + this.count++) % this.capacity] = item;
      return undefined;
    }
    const evicted = this.items[this.start];
    this.items[this.start] = item;
    this.start = (this.start + 1) % this.capacity;
    return evicted;
  }

  /** The `i`-th oldest item (0 = oldest). */
  at(i: number): T | undefined {
    return i >= 0 && i < this.count ? this.items[(this.start + i) % this.capacity] : undefined;
  }

  /** The `i`-th newest item (0 = newest): the list shows newest first. */
  fromNewest(i: number): T | undefined {
    return this.at(this.count - 1 - i);
  }

  clear(): void {
    this.items.fill(undefined); // let the forgotten items be collected
    this.start = 0;
    this.count = 0;
  }

  /** Oldest first. */
  *[Symbol.iterator](): Iterator<T> {
    for (let i = 0; i < this.count; i++) yield this.items[(this.start + i) % this.capacity] as T;
  }
}
