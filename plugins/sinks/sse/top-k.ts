/**
 * Sliding-window top-K of a field's values (CONTRACT 9 `/api/telemetry/top/live`), in bounded
 * memory: the Space-Saving algorithm (Metwally, Agrawal, El Abbadi, "Efficient Computation of
 * Frequent and Top-k Elements in Data Streams", ICDT 2005) over a window cut into slots.
 *
 * - At most `maxKeys` values are counted. Below that every count is exact (to the slot: the
 *   window covers the last `slots` slots, the current one partly).
 * - A new value when `maxKeys` are counted evicts the value with the smallest count `min` and
 *   starts at `min + 1` (Space-Saving: a count is over by at most the `min` it inherited, and
 *   any value more frequent than total/maxKeys is never missed). Results are flagged inexact
 *   until a whole window has passed without an eviction.
 * - Counts live in an indexed binary min-heap (the least counted value at the root): an event
 *   costs O(log maxKeys), an eviction O(log maxKeys + slots), a slot expiring O(its entries).
 * Memory: at most `maxKeys` values, each with at most `slots` per-slot counts.
 */
export class SlidingTopK {
  /** Heap arrays: heap[i] is a value, counts.get(value) its total over the window. */
  private readonly heap: string[] = [];
  private readonly pos = new Map<string, number>();
  private readonly totals = new Map<string, number>();
  /** Per slot (ring): value -> count within that slot, and the slot's event total. */
  private readonly slotCounts: Map<string, number>[];
  private readonly slotTotals: Float64Array;
  private currentSlot = -1;
  private lastEvictionSlot = -Infinity;
  private windowTotal = 0;

  constructor(
    private readonly maxKeys: number,
    private readonly slotMs: number,
    private readonly slots: number,
  ) {
    this.slotCounts = Array.from({ length: slots }, () => new Map());
    this.slotTotals = new Float64Array(slots);
  }

  /** Events of the window (with a value). */
  get total(): number {
    return this.windowTotal;
  }

  get size(): number {
    return this.heap.length;
  }

  /** Counts are exact: no value was evicted within the current window. */
  get exact(): boolean {
    return this.currentSlot - this.lastEvictionSlot >= this.slots;
  }

  add(value: string, now: number): void {
    this.advance(now);
    const ring = this.currentSlot % this.slots;
    this.windowTotal++;
    this.slotTotals[ring]++;
    let total = this.totals.get(value);
    let inc = 1;
    if (total === undefined) {
      if (this.heap.length >= this.maxKeys) {
        // Space-Saving: the new value replaces the least counted one and inherits its count.
        const victim = this.heap[0];
        inc += this.totals.get(victim)!;
        this.remove(victim);
        this.lastEvictionSlot = this.currentSlot;
      }
      total = 0;
      this.totals.set(value, 0);
      this.pos.set(value, this.heap.length);
      this.heap.push(value);
    }
    this.totals.set(value, total + inc);
    const slot = this.slotCounts[ring];
    slot.set(value, (slot.get(value) ?? 0) + inc);
    this.siftDown(this.pos.get(value)!);
  }

  /** The `k` most counted values of the window, most counted first (ties by value, for stable output). */
  top(k: number, now: number): { value: string; count: number }[] {
    this.advance(now);
    const all = [...this.totals];
    all.sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    return all.slice(0, k).map(([value, count]) => ({ value, count }));
  }

  /** Moves the window to `now`: every slot that fell out of it is subtracted and emptied. */
  private advance(now: number): void {
    const slot = Math.floor(now / this.slotMs);
    if (slot <= this.currentSlot) return;
    if (this.currentSlot < 0) {
      this.currentSlot = slot;
      return;
    }
    const steps = Math.min(slot - this.currentSlot, this.slots);
    for (let i = 1; i <= steps; i++) this.expire((this.currentSlot + i) % this.slots);
    this.currentSlot = slot;
  }

  private expire(ring: number): void {
    const slot = this.slotCounts[ring];
    this.windowTotal -= this.slotTotals[ring];
    this.slotTotals[ring] = 0;
    for (const [value, n] of slot) {
      const total = this.totals.get(value);
      if (total === undefined) continue;
      if (total - n <= 0) this.remove(value, ring);
      else {
        this.totals.set(value, total - n);
        this.siftUp(this.pos.get(value)!);
      }
    }
    slot.clear();
  }

  /** Forgets `value` everywhere (heap, totals, slots but `skipRing`, which the caller clears). */
  private remove(value: string, skipRing = -1): void {
    const i = this.pos.get(value)!;
    const last = this.heap.pop()!;
    this.pos.delete(value);
    this.totals.delete(value);
    if (i < this.heap.length) {
      this.heap[i] = last;
      this.pos.set(last, i);
      this.siftUp(i);
      this.siftDown(this.pos.get(last)!);
    }
    for (let r = 0; r < this.slots; r++) if (r !== skipRing) this.slotCounts[r].delete(value);
  }

  private less(i: number, j: number): boolean {
    return this.totals.get(this.heap[i])! < this.totals.get(this.heap[j])!;
  }

  private swap(i: number, j: number): void {
    const a = this.heap[i];
    const b = this.heap[j];
    this.heap[i] = b;
    this.heap[j] = a;
    this.pos.set(b, i);
    this.pos.set(a, j);
  }

  private siftUp(i: number): void {
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.less(i, parent)) return;
      this.swap(i, parent);
      i = parent;
    }
  }

  private siftDown(i: number): void {
    const n = this.heap.length;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < n && this.less(l, m)) m = l;
      if (r < n && this.less(r, m)) m = r;
      if (m === i) return;
      this.swap(i, m);
      i = m;
    }
  }
}

/** Slots for a window: one per second up to 60, then 60 longer ones (memory per value stays <= 60 counts). */
export function windowSlots(windowSeconds: number): { slotMs: number; slots: number } {
  const slots = Math.max(1, Math.min(60, Math.ceil(windowSeconds)));
  return { slotMs: (windowSeconds * 1000) / slots, slots };
}
