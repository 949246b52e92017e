import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile, mkdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import type { WriteStream } from "node:fs";
import { from, NEVER, Subject, throwError, type SchedulerLike } from "rxjs";
import { z } from "zod";
import { type LiveEvent, PluginProblems, type Sink } from "../../../core/index.js";
import { createPlugin, MetricsRegistry } from "../../../core/testing.js";
import { until } from "../../../test/support/until.js";
import fileSink from "./index.js";
import { FileOptions } from "./options.js";
import { Appender, BATCH_BYTES } from "./appender.js";
import { openAppend, toJsonLine } from "./file.js";

const event = (i: number, data: Record<string, unknown> = {}): LiveEvent => ({
  id: `1732445000123-${i}`,
  type: "smtp.rcpt-to",
  createdAt: "2026-11-24T11:50:00.123Z",
  text: `RCPT TO:<user${i}@example.org>`,
  data: { to: `user${i}@example.org`, n: i, ...data },
});

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "livetap-file-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const sink = (o: Record<string, unknown>, metrics = new MetricsRegistry()) => createPlugin(fileSink, o, { metrics }).plugin as Sink;
const lines = async (path: string): Promise<string[]> => (await readFile(path, "utf8")).split("\n").filter((l) => l !== "");

/** A clock whose timers run only when the test says so. */
function manualClock() {
  const due: (() => void)[] = [];
  const clock = {
    now: () => 0,
    schedule(work: () => void) {
      due.push(work);
      return {
        unsubscribe: () => {
          const i = due.indexOf(work);
          if (i !== -1) due.splice(i, 1);
        },
      };
    },
  } as unknown as SchedulerLike;
  return { clock, due, runAll: () => due.splice(0).forEach((w) => w()) };
}

describe("file sink", () => {
  it("appends every event as a JSON line, in order (100k events)", async () => {
    const path = join(dir, "out.jsonl");
    const s = sink({ path });
    await s.start?.();
    const events = Array.from({ length: 100_000 }, (_, i) => event(i));
    await s.consume(from(events));
    // consume() resolved: everything is in the file before stop().
    const got = await lines(path);
    expect(got).toHaveLength(100_000);
    got.forEach((line, i) => {
      if (i % 997 === 0) expect(JSON.parse(line)).toEqual(events[i]);
      expect(line.startsWith(`{"id":"1732445000123-${i}",`)).toBe(true);
    });
    await s.stop?.();
  });

  it("appends to an existing file and creates missing parent directories", async () => {
    const path = join(dir, "a", "b", "out.jsonl");
    await mkdir(join(dir, "a", "b"), { recursive: true });
    await writeFile(path, "existing line\n");
    const s = sink({ path });
    await s.consume(from([event(1), event(2)]));
    await s.stop?.();
    const again = sink({ path, fsync: false });
    await again.consume(from([event(3)]));
    await again.stop?.();
    expect(await lines(path)).toEqual(["existing line", ...[1, 2, 3].map((i) => JSON.stringify(event(i)))]);
    const nested = join(dir, "x", "y", "z.jsonl");
    const n = sink({ path: nested });
    await n.start?.();
    await n.stop?.();
    expect(existsSync(nested)).toBe(true);
  });

  it("drops past maxBufferBytes and counts every dropped event", async () => {
    const path = join(dir, "bounded.jsonl");
    const metrics = new MetricsRegistry();
    const s = sink({ path, maxBufferBytes: 65_536 }, metrics);
    await s.consume(from(Array.from({ length: 20_000 }, (_, i) => event(i))));
    await s.stop?.();
    const written = await lines(path);
    const dropped = metrics.counter("file.dropped").value;
    expect(dropped).toBeGreaterThan(0);
    expect(metrics.counter("events.dropped").value).toBe(dropped);
    expect(written.length + dropped).toBe(20_000);
    // What was kept is whole lines, still in order.
    const ns = written.map((l) => (JSON.parse(l) as LiveEvent).data.n as number);
    expect(ns).toEqual([...ns].sort((a, b) => a - b));
  });

  it("stops twice, and stops without start", async () => {
    const never = sink({ path: join(dir, "never.jsonl") });
    await never.stop?.();
    await never.stop?.();
    expect(existsSync(join(dir, "never.jsonl"))).toBe(false);
    const s = sink({ path: join(dir, "twice.jsonl") });
    await s.start?.();
    await Promise.all([s.stop?.(), s.stop?.()]);
    await s.stop?.();
  });

  it("stop() ends an unfinished consume() after writing what it took", async () => {
    const path = join(dir, "open.jsonl");
    const s = sink({ path, flushIntervalMs: 60_000 });
    const input = new Subject<LiveEvent>();
    const done = s.consume(input);
    // consume() subscribes once the file is open: a fixed sleep lost the event on a busy machine.
    await until(() => input.observed, "consume() to subscribe");
    input.next(event(1));
    await s.stop?.();
    await done;
    expect(input.observed).toBe(false);
    expect(await lines(path)).toEqual([JSON.stringify(event(1))]);
    const idle = sink({ path });
    const pending = idle.consume(NEVER);
    await idle.stop?.();
    await pending;
  });

  it("reports an unusable path as a startup problem at `path`", async () => {
    await mkdir(join(dir, "is-a-dir"));
    const s = sink({ path: join(dir, "is-a-dir") });
    const err = await s.start!().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PluginProblems);
    expect((err as PluginProblems).problems[0].path).toEqual(["path"]);
    expect((err as PluginProblems).problems[0].message).toMatch(/^cannot open ".*is-a-dir" for appending: /);
    await s.stop?.();
    await writeFile(join(dir, "file"), "");
    await expect(sink({ path: join(dir, "file", "below.jsonl") }).start!()).rejects.toBeInstanceOf(PluginProblems);
  });

  it("check() (validate's dry start) finds the path appendable without creating or truncating anything", async () => {
    await expect(sink({ path: join(dir, "new", "deep", "out.jsonl") }).check!()).resolves.toBeUndefined();
    expect(existsSync(join(dir, "new"))).toBe(false);
    await writeFile(join(dir, "kept.jsonl"), "line\n");
    await expect(sink({ path: join(dir, "kept.jsonl") }).check!()).resolves.toBeUndefined();
    expect(await readFile(join(dir, "kept.jsonl"), "utf8")).toBe("line\n");
  });

  it("check() reports what start() would: a directory, or a file where a folder must be", async () => {
    await mkdir(join(dir, "is-a-dir"));
    await writeFile(join(dir, "file"), "");
    for (const path of [join(dir, "is-a-dir"), join(dir, "file", "below", "out.jsonl")]) {
      const err = await sink({ path }).check!().catch((e: unknown) => e);
      expect(err, path).toBeInstanceOf(PluginProblems);
      expect((err as PluginProblems).problems).toEqual([{ path: ["path"], message: expect.stringMatching(/^cannot open ".*" for appending: .*(directory)/) }]);
      await expect(sink({ path }).start!(), path).rejects.toBeInstanceOf(PluginProblems);
    }
    expect(await readFile(join(dir, "file"), "utf8")).toBe("");
  });

  it.runIf(existsSync("/dev/full"))("rejects consume() when the disk is full, and stop() still resolves", async () => {
    const s = sink({ path: "/dev/full", flushIntervalMs: 0 });
    const input = new Subject<LiveEvent>();
    const done = s.consume(input);
    // consume() subscribes once the file is open: a fixed sleep lost the event on a busy machine.
    await until(() => input.observed, "consume() to subscribe");
    input.next(event(1));
    await expect(done).rejects.toThrow(/ENOSPC/);
    expect(input.observed).toBe(false);
    await s.stop?.();
    await s.stop?.();
  });

  it("flushes then rejects when its input errors", async () => {
    const path = join(dir, "err.jsonl");
    const s = sink({ path });
    const input = new Subject<LiveEvent>();
    const done = s.consume(input);
    // consume() subscribes once the file is open: a fixed sleep lost the event on a busy machine.
    await until(() => input.observed, "consume() to subscribe");
    input.next(event(1));
    input.error(new Error("upstream"));
    await expect(done).rejects.toThrow("upstream");
    expect(await lines(path)).toHaveLength(1);
    await s.stop?.();
    await expect(sink({ path }).consume(throwError(() => new Error("early")))).rejects.toThrow("early");
  });

  it("describes every option, requires path, rejects bad values", () => {
    for (const [key, schema] of Object.entries(FileOptions.shape)) expect((schema as z.ZodType).description, key).toBeTruthy();
    expect(FileOptions.parse({ path: "x" })).toEqual({ path: "x", flushIntervalMs: 100, maxBufferBytes: 64 * 1024 * 1024, fsync: true });
    expect(FileOptions.safeParse({}).success).toBe(false);
    expect(FileOptions.safeParse({ path: "" }).success).toBe(false);
    expect(FileOptions.safeParse({ path: "x", flushIntervalMs: -1 }).success).toBe(false);
    expect(FileOptions.safeParse({ path: "x", fsync: "yes" }).success).toBe(false);
    expect(FileOptions.safeParse({ path: "x", pth: "y" }).success).toBe(false);
  });

  it("writes data JSON cannot carry as a marked line instead of crashing", () => {
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    expect(JSON.parse(toJsonLine({ ...event(1), data: circular })).data).toEqual({ unserializable: true });
    expect(JSON.parse(toJsonLine({ ...event(1), data: { n: 2n } })).data).toEqual({ n: "2" });
  });
});

describe("appender", () => {
  it("batches lines until the flush interval (on the injected clock)", async () => {
    const path = join(dir, "batch.jsonl");
    const { stream, fd } = await openAppend(path);
    const { clock, due, runAll } = manualClock();
    const a = new Appender(stream, fd, 1 << 20, 100, clock);
    const write = vi.spyOn(stream, "write");
    a.write("one\n");
    a.write("two\n");
    await new Promise((r) => setTimeout(r, 10));
    expect(write).not.toHaveBeenCalled();
    expect(due).toHaveLength(1);
    runAll();
    expect(write).toHaveBeenCalledTimes(1);
    await a.sync();
    expect(await readFile(path, "utf8")).toBe("one\ntwo\n");
    // A full batch does not wait for the timer.
    a.write("x".repeat(BATCH_BYTES) + "\n");
    expect(write).toHaveBeenCalledTimes(2);
    await a.idle();
    await a.close();
    await a.close();
  });

  it("refuses lines past maxBufferBytes while the stream is stuck", () => {
    const stuck = new Writable({ highWaterMark: 1024, write: () => {} }) as unknown as WriteStream;
    const { clock } = manualClock();
    const a = new Appender(stuck, -1, 64 * 1024, 0, clock);
    const line = "y".repeat(1023) + "\n";
    let accepted = 0;
    for (let i = 0; i < 200; i++) if (a.write(line)) accepted++;
    expect(accepted).toBe(64);
  });
});
