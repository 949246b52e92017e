import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { createWriteStream } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough, Writable } from "node:stream";
import type { SchedulerLike, Unsubscribable } from "rxjs";
import { MetricsRegistry } from "../metrics/registry.js";
import { BoundedWriter } from "./bounded-writer.js";

/** Lets queued microtasks (an end-of-burst flush) and stream callbacks run. */
const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

/** A writable that takes chunks and never finishes writing them: the stuck stdout. */
function stuckWritable(highWaterMark = 16) {
  return new Writable({ highWaterMark, write: () => {} });
}

/** A schedule whose flushes run only when the test says so. */
function manualSchedule() {
  const due: (() => void)[] = [];
  const schedule = (flush: () => void): Unsubscribable => {
    due.push(flush);
    return {
      unsubscribe: () => {
        const i = due.indexOf(flush);
        if (i !== -1) due.splice(i, 1);
      },
    };
  };
  return { schedule, due, runAll: () => due.splice(0).forEach((f) => f()) };
}

describe("BoundedWriter", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "livetap-writer-"));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("writes a synchronous burst as one write, in order, and counts its bytes", async () => {
    const out = new PassThrough();
    const write = vi.spyOn(out, "write");
    const w = new BoundedWriter(out, { maxBufferBytes: 1 << 20 });
    const chunks = Array.from({ length: 100 }, (_, i) => `é${i}\n`);
    for (const c of chunks) expect(w.write(c)).toBe(true);
    expect(write).not.toHaveBeenCalled();
    await w.flushed();
    expect(write).toHaveBeenCalledTimes(1);
    expect(out.read().toString()).toBe(chunks.join(""));
    expect(w.writtenBytes).toBe(Buffer.byteLength(chunks.join("")));
    expect(w.droppedChunks).toBe(0);
  });

  it("waits for 'drain' instead of piling into the writable, then writes the backlog as one batch", async () => {
    const out = new PassThrough({ highWaterMark: 16 });
    const write = vi.spyOn(out, "write");
    const w = new BoundedWriter(out, { maxBufferBytes: 1 << 20 });
    w.write("a".repeat(100));
    await tick();
    const held = out.writableLength;
    expect(held).toBe(100);
    for (let i = 0; i < 10; i++) {
      w.write(`line ${i}\n`);
      await tick();
    }
    // Nobody reads: the first batch is still in the writable, the rest waits here.
    expect(write).toHaveBeenCalledTimes(1);
    expect(out.writableLength).toBe(held);
    const got: string[] = [];
    out.on("data", (c: Buffer) => got.push(c.toString()));
    await w.flushed();
    expect(write).toHaveBeenCalledTimes(2);
    expect(got.join("")).toBe("a".repeat(100) + Array.from({ length: 10 }, (_, i) => `line ${i}\n`).join(""));
  });

  it("appends everything to a real file through backpressure", async () => {
    const path = join(dir, "out.txt");
    const out = createWriteStream(path, { highWaterMark: 64 });
    const w = new BoundedWriter(out, { maxBufferBytes: 1 << 20 });
    const lines = Array.from({ length: 2000 }, (_, i) => `line ${i}\n`);
    for (let i = 0; i < lines.length; i++) {
      expect(w.write(lines[i])).toBe(true);
      if (i % 100 === 99) await tick();
    }
    await w.flushed();
    expect(await readFile(path, "utf8")).toBe(lines.join(""));
    expect(w.writtenBytes).toBe(Buffer.byteLength(lines.join("")));
    await new Promise<void>((r) => out.end(r));
  });

  it("refuses chunks past maxBufferBytes while the writable is stuck, and counts them", async () => {
    const out = stuckWritable();
    const w = new BoundedWriter(out, { maxBufferBytes: 1000 });
    const chunk = "x".repeat(100);
    let accepted = 0;
    for (let i = 0; i < 30; i++) {
      if (w.write(chunk)) accepted++;
      expect(w.bufferedBytes).toBeLessThanOrEqual(1000);
      await tick();
    }
    // The first 100 bytes sit in the writable; 900 more fit here.
    expect(accepted).toBe(10);
    expect(w.bufferedBytes).toBe(1000);
    expect(w.droppedChunks).toBe(20);
    expect(w.droppedBytes).toBe(2000);
    // A chunk that fits exactly is still taken; one byte more is not.
    const room = new BoundedWriter(stuckWritable(), { maxBufferBytes: 10 });
    expect(room.write("0123456789")).toBe(true);
    expect(room.write("a")).toBe(false);
  });

  it("counts every drop and warns at most once a second, then the rest at the end", async () => {
    let now = 0;
    const clock = { now: () => now } as SchedulerLike;
    const metrics = new MetricsRegistry();
    const own = metrics.counter("demo.dropped", "test");
    const total = metrics.counter("events.dropped", "test");
    const warn = vi.fn();
    const w = new BoundedWriter(stuckWritable(), { maxBufferBytes: 64 * 1024, drops: { counters: [own, total], clock, warn } });
    const big = "x".repeat(1000);
    for (let i = 0; i < 300; i++) {
      now = i * 10; // 3 s of virtual time
      w.write(big);
      await Promise.resolve();
    }
    expect(own.value).toBe(w.droppedChunks);
    expect(total.value).toBe(w.droppedChunks);
    expect(w.droppedChunks).toBeGreaterThan(200);
    expect(warn.mock.calls.length).toBeGreaterThanOrEqual(2);
    expect(warn.mock.calls.length).toBeLessThanOrEqual(3);
    const calls = warn.mock.calls.length;
    w.reportDrops();
    expect(warn.mock.calls.length).toBe(calls + 1);
    w.reportDrops(); // nothing new to tell
    expect(warn.mock.calls.length).toBe(calls + 1);
    expect(warn.mock.calls.reduce((sum, [n]) => sum + (n as number), 0)).toBe(w.droppedChunks);
  });

  it("rejects waiters, refuses chunks and tells onFailure once when the writable fails", async () => {
    const out = new Writable({ write: (_c, _e, cb) => cb(Object.assign(new Error("write EPIPE"), { code: "EPIPE" })) });
    const onFailure = vi.fn();
    const warn = vi.fn();
    const counter = new MetricsRegistry().counter("demo.dropped", "test");
    const w = new BoundedWriter(out, { maxBufferBytes: 1 << 20, onFailure, drops: { counters: [counter], clock: { now: () => 0 } as SchedulerLike, warn } });
    w.write("one\n");
    await expect(w.flushed()).rejects.toThrow("EPIPE");
    await tick(); // the stream's own 'error' event comes too
    expect(onFailure).toHaveBeenCalledTimes(1);
    expect(w.failed?.message).toBe("write EPIPE");
    expect(w.write("two\n")).toBe(false);
    await expect(w.flushed()).rejects.toThrow("EPIPE");
    // Counted, but not warned about: the failure itself was reported.
    expect(counter.value).toBe(1);
    w.reportDrops();
    expect(warn).not.toHaveBeenCalled();
  });

  it("rejects a waiter when the writable errors while a write is outstanding", async () => {
    const out = stuckWritable();
    const w = new BoundedWriter(out, { maxBufferBytes: 1 << 20 });
    w.write("x".repeat(100));
    const waiting = w.flushed();
    out.destroy(new Error("EIO"));
    await expect(waiting).rejects.toThrow("EIO");
  });

  it("flushes on the schedule it is given, or at once past batchBytes", async () => {
    const out = new PassThrough();
    const write = vi.spyOn(out, "write");
    const { schedule, due, runAll } = manualSchedule();
    const w = new BoundedWriter(out, { maxBufferBytes: 1 << 20, schedule, batchBytes: 1024 });
    w.write("one\n");
    w.write("two\n");
    await tick();
    expect(write).not.toHaveBeenCalled();
    expect(due).toHaveLength(1);
    runAll();
    expect(write).toHaveBeenCalledTimes(1);
    w.write("three\n");
    expect(due).toHaveLength(1);
    w.write("x".repeat(1024));
    // The batch went out now, and took the scheduled flush with it.
    expect(write).toHaveBeenCalledTimes(2);
    expect(due).toHaveLength(0);
    w.write("four\n");
    w.cancelFlush();
    expect(due).toHaveLength(0);
    await w.flushed();
    expect(out.read().toString()).toBe(`one\ntwo\nthree\n${"x".repeat(1024)}four\n`);
    // While the writable asks us to wait, 'drain' is the flush: nothing else is scheduled.
    const waiting = new BoundedWriter(stuckWritable(), { maxBufferBytes: 1 << 20, schedule, batchBytes: 1024 });
    waiting.write("x".repeat(1024));
    waiting.write("five\n");
    expect(due).toHaveLength(0);
  });

  it("resolves flushed() at once with nothing queued", async () => {
    await new BoundedWriter(new PassThrough(), { maxBufferBytes: 1 << 20 }).flushed();
  });

  it("detach() leaves no listeners on a long-lived writable, even one it waits on", async () => {
    const out = stuckWritable();
    const before = { error: out.listenerCount("error"), drain: out.listenerCount("drain") };
    const w = new BoundedWriter(out, { maxBufferBytes: 1 << 20 });
    w.write("x".repeat(100));
    await tick();
    expect(out.listenerCount("drain")).toBe(before.drain + 1);
    w.detach();
    expect({ error: out.listenerCount("error"), drain: out.listenerCount("drain") }).toEqual(before);
  });
});
