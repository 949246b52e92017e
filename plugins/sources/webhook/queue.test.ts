import { describe, expect, it } from "vitest";
import { Observable, firstValueFrom, take, toArray } from "rxjs";
import { IngestQueue } from "./queue.js";

const DELIVERY_CHUNK = 100;

const observe = <T>(q: IngestQueue<T>) => new Observable<T>((s) => q.attach(s));
const turn = () => new Promise((r) => setImmediate(r));

describe("ingest queue", () => {
  it("accepts a batch whole or not at all, up to maxPending", () => {
    const q = new IngestQueue<number>(5);
    expect(q.offer([1, 2, 3])).toBe(true);
    expect(q.offer([4, 5, 6])).toBe(false);
    expect(q.offer([4, 5])).toBe(true);
    expect(q.offer([6])).toBe(false);
    expect(q.pending).toBe(5);
  });

  it("takes any one batch when empty, so an oversized batch is not refused forever", () => {
    const q = new IngestQueue<number>(2);
    expect(q.offer([1, 2, 3, 4])).toBe(true);
    expect(q.offer([5])).toBe(false);
  });

  it("delivers in order, asynchronously, in chunks, and reports pending changes", async () => {
    const deltas: number[] = [];
    const q = new IngestQueue<number>(10_000, (d) => deltas.push(d), DELIVERY_CHUNK);
    const n = DELIVERY_CHUNK * 2 + 10;
    q.offer(Array.from({ length: n - 5 }, (_, i) => i));
    q.offer([n - 5, n - 4, n - 3, n - 2, n - 1]);
    const got: number[] = [];
    q.attach({ next: (v: number) => got.push(v), closed: false } as never);
    expect(got).toEqual([]);
    await turn();
    expect(got).toHaveLength(DELIVERY_CHUNK);
    await turn();
    await turn();
    expect(got).toEqual(Array.from({ length: n }, (_, i) => i));
    expect(q.pending).toBe(0);
    expect(deltas.reduce((a, b) => a + b, 0)).toBe(0);
    expect(deltas.slice(0, 2)).toEqual([n - 5, 5]);
  });

  it("holds events while nobody subscribes, then hands them over", async () => {
    const q = new IngestQueue<number>(10);
    q.offer([1, 2]);
    await turn();
    expect(q.pending).toBe(2);
    expect(await firstValueFrom(observe(q).pipe(take(2), toArray()))).toEqual([1, 2]);
    expect(q.pending).toBe(0);
  });

  it("drain: refuses new batches, delivers the queue, then completes", async () => {
    const q = new IngestQueue<number>(10);
    q.offer([1, 2]);
    const all = firstValueFrom(observe(q).pipe(toArray()));
    q.drain();
    expect(q.offer([3])).toBe(false);
    expect(await all).toEqual([1, 2]);
    // A late subscriber completes at once.
    expect(await firstValueFrom(observe(q).pipe(toArray()))).toEqual([]);
  });

  it("close without subscribers drops the queue and gives its count back", () => {
    let pending = 0;
    const q = new IngestQueue<number>(10, (d) => (pending += d));
    q.offer([1, 2, 3]);
    expect(pending).toBe(3);
    q.close();
    expect(pending).toBe(0);
    expect(q.pending).toBe(0);
    expect(q.offer([4])).toBe(false);
  });

  it("stops delivering to an unsubscribed subscriber and keeps the rest for the next", async () => {
    const q = new IngestQueue<number>(5000, undefined, DELIVERY_CHUNK);
    q.offer(Array.from({ length: DELIVERY_CHUNK + 3 }, (_, i) => i));
    const first = await firstValueFrom(observe(q).pipe(take(DELIVERY_CHUNK), toArray()));
    expect(first).toHaveLength(DELIVERY_CHUNK);
    expect(q.pending).toBe(3);
    expect(await firstValueFrom(observe(q).pipe(take(3), toArray()))).toEqual([DELIVERY_CHUNK, DELIVERY_CHUNK + 1, DELIVERY_CHUNK + 2]);
  });
});
