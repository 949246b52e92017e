import "reflect-metadata";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { until } from "../../../test/support/until.js";
import { appendFileSync, copyFileSync, mkdirSync, renameSync, statSync, truncateSync, unlinkSync, writeFileSync, openSync, writeSync, closeSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import pino from "pino";
import type { SchedulerLike, Subscription } from "rxjs";
import { z } from "zod";
import type { LiveEvent, LiveEventInput } from "../../../core/index.js";
import { createPlugin, DeliveryHub, MetricsRegistry } from "../../../core/testing.js";
import fileSource from "./index.js";
import type { FileSource } from "./file.js";
import { FileOptions } from "./options.js";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "livetap-tail-"));
});
afterEach(async () => {
  for (const r of running.splice(0)) r.sub.unsubscribe();
  await rm(dir, { recursive: true, force: true });
});

/** Fast intervals so tests wait little; lineTimeoutMs long unless a test is about it. */
const FAST = { pollIntervalMs: 20, globIntervalMs: 40, checkpointIntervalMs: 40, rotateWaitMs: 100, lineTimeoutMs: 60_000, readFrom: "beginning" };

interface Run {
  plugin: FileSource;
  events: LiveEventInput[];
  done: Promise<void>;
  sub: Subscription;
  metrics: MetricsRegistry;
  logs: () => string;
  messages: () => unknown[];
}
const running: Run[] = [];

function tail(o: Record<string, unknown>, services: { clock?: SchedulerLike; dataDir?: string; metrics?: MetricsRegistry; delivery?: DeliveryHub } = {}): Run {
  let logText = "";
  const logger = pino(
    { level: "debug" },
    new Writable({
      write(chunk, _enc, cb) {
        logText += String(chunk);
        cb();
      },
    }),
  );
  const metrics = services.metrics ?? new MetricsRegistry();
  const { plugin } = createPlugin(fileSource, { ...FAST, ...o }, {
    dataDir: services.dataDir ?? join(dir, "data"),
    logger,
    metrics,
    ...(services.clock ? { scheduler: services.clock } : {}),
    ...(services.delivery ? { delivery: services.delivery } : {}),
  });
  const events: LiveEventInput[] = [];
  let sub!: Subscription;
  const done = new Promise<void>((resolve, reject) => {
    sub = (plugin as FileSource).events().subscribe({ next: (e) => events.push(e), complete: resolve, error: reject });
  });
  const run: Run = { plugin: plugin as FileSource, events, done, sub, metrics, logs: () => logText, messages: () => events.map((e) => e.data.message) };
  running.push(run);
  return run;
}

/** A graceful stop as core does it: drain, the stream completes, then stop() (after the sinks flushed) saves the positions. */
async function stop(r: Run): Promise<void> {
  r.plugin.drain();
  await r.done;
  await r.plugin.stop();
  await r.plugin.settled();
}

const p = (name: string) => join(dir, name);
const lines = (from: number, to: number, prefix = "line") => Array.from({ length: to - from }, (_, i) => `${prefix} ${from + i}\n`).join("");
const seqs = (r: Run, prefix = "line") =>
  r.events.map((e) => String(e.data.message)).filter((m) => m.startsWith(prefix + " ")).map((m) => Number(m.slice(prefix.length + 1)));
const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);
const checkpoint = async (dataDir = join(dir, "data")) => JSON.parse(await readFile(join(dataDir, "sources", "file", "files.json"), "utf8"));

describe("file source: reading", () => {
  it("emits file.line events with path, offset and message; JSON-object lines keep their fields", async () => {
    writeFileSync(p("a.log"), 'plain text\n\n   \n{"type":"app.login","user":"ops","createdAt":"2026-11-24T11:50:00.123Z"}\n{"n":1,"offset":"mine"}\n{broken\n');
    const r = tail({ include: [p("*.log")] });
    await until(() => r.events.length === 4, "4 events");
    expect(r.events).toEqual([
      { type: "file.line", data: { message: "plain text", path: p("a.log"), offset: 0 } },
      { type: "app.login", createdAt: "2026-11-24T11:50:00.123Z", data: { user: "ops", path: p("a.log"), offset: 16 } },
      { type: "file.line", data: { n: 1, path: p("a.log"), offset: 89 } },
      { type: "file.line", data: { message: "{broken", path: p("a.log"), offset: 113 } },
    ]);
    expect(r.metrics.counter("file.lines").value).toBe(4);
    expect(r.metrics.gauge("file.files").value).toBe(1);
    await stop(r);
    expect(r.metrics.gauge("file.files").value).toBe(0);
  });

  it("follows appends and new files; honours exclude; one scanner for several globs", async () => {
    mkdirSync(p("sub/deep"), { recursive: true });
    writeFileSync(p("a.log"), lines(0, 2));
    writeFileSync(p("skip.log"), "excluded\n");
    writeFileSync(p("a.txt"), "not matched\n");
    const r = tail({ include: [p("*.log"), p("sub/**/*.json")], exclude: ["skip.*"] });
    await until(() => r.events.length === 2, "first lines");
    appendFileSync(p("a.log"), lines(2, 4));
    writeFileSync(p("sub/deep/b.json"), lines(4, 6));
    await until(() => r.events.length === 6, "appended and new-file lines");
    expect(seqs(r).sort((a, b) => a - b)).toEqual(range(0, 6));
    expect(r.messages()).not.toContain("excluded");
    expect(r.messages()).not.toContain("not matched");
    await stop(r);
  });

  it('readFrom "end" starts after what is there, skipping a half-written line', async () => {
    writeFileSync(p("a.log"), "old 1\nold 2\nhalf of a li");
    const r = tail({ include: [p("*.log")], readFrom: "end" });
    await until(() => r.logs().includes("tailing file"), "the file found");
    appendFileSync(p("a.log"), "ne\nnew 1\n");
    await until(() => r.events.length === 1, "the new line");
    expect(r.messages()).toEqual(["new 1"]);
    // A file that appears later is read whole, whatever readFrom says.
    writeFileSync(p("b.log"), "from b\n");
    await until(() => r.events.length === 2, "the new file");
    expect(r.messages()).toEqual(["new 1", "from b"]);
    await stop(r);
  });

  it("holds an unfinished line until its newline, or emits it after lineTimeoutMs, or at stop", async () => {
    writeFileSync(p("a.log"), "start of ");
    const r = tail({ include: [p("*.log")], lineTimeoutMs: 150 });
    await until(() => r.logs().includes("tailing file"), "the file found");
    appendFileSync(p("a.log"), "the line\nwaiting");
    await until(() => r.events.length === 2, "the timed-out partial");
    expect(r.messages()).toEqual(["start of the line", "waiting"]);
    expect(r.events[1].data.offset).toBe(18);
    appendFileSync(p("a.log"), " more\nlast without newline");
    await until(() => r.events.length === 3, "the next line");
    expect(r.messages()[2]).toBe(" more");
    await stop(r);
    expect(r.messages()).toEqual(["start of the line", "waiting", " more", "last without newline"]);
  });

  it("truncates or splits lines longer than maxLineBytes, flags and counts them", async () => {
    writeFileSync(p("a.log"), `${"x".repeat(100)}\nshort\n${JSON.stringify({ type: "big.one", blob: "b".repeat(100) })}\n`);
    const r = tail({ include: [p("*.log")], maxLineBytes: 64 });
    await until(() => r.events.length === 3, "3 events");
    expect(r.events[0]).toEqual({ type: "file.line", data: { message: "x".repeat(64), path: p("a.log"), offset: 0, truncated: true } });
    expect(r.events[1].data.message).toBe("short");
    expect(r.events[2].type).toBe("file.line");
    expect(r.events[2].data.truncated).toBe(true);
    expect(r.metrics.counter("file.truncated-lines").value).toBe(2);
    await stop(r);

    const s = tail({ include: [p("*.log")], maxLineBytes: 64, longLines: "split" }, { dataDir: join(dir, "data2") });
    await until(() => s.events.length === 5, "5 events");
    expect(s.events.slice(0, 2).map((e) => [e.data.message, e.data.offset, e.data.split])).toEqual([
      ["x".repeat(64), 0, true],
      ["x".repeat(36), 64, true],
    ]);
    await stop(s);
  });

  it("decodes latin1, and replaces invalid UTF-8 instead of failing", async () => {
    writeFileSync(p("a.log"), Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x0a]));
    const r = tail({ include: [p("a.log")], encoding: "latin1" });
    await until(() => r.events.length === 1, "latin1 line");
    expect(r.messages()).toEqual(["café"]);
    await stop(r);
    const u = tail({ include: [p("a.log")] }, { dataDir: join(dir, "data2") });
    await until(() => u.events.length === 1, "utf8 line");
    expect(u.messages()).toEqual(["caf\ufffd"]);
    await stop(u);
  });

  it("works with fewer open files than files (maxOpenFiles)", async () => {
    for (let i = 0; i < 4; i++) writeFileSync(p(`f${i}.log`), lines(i * 10, i * 10 + 5));
    const r = tail({ include: [p("*.log")], maxOpenFiles: 2 });
    await until(() => r.events.length === 20, "all first lines");
    for (let i = 0; i < 4; i++) appendFileSync(p(`f${i}.log`), lines(i * 10 + 5, i * 10 + 10));
    await until(() => r.events.length === 40, "all appended lines");
    expect(seqs(r).sort((a, b) => a - b)).toEqual(range(0, 40));
    await stop(r);
  });
});

describe("file source: identity and rotation", () => {
  it("rename + recreate: the renamed file is read to its end even outside the globs, then released", async () => {
    writeFileSync(p("app.log"), lines(0, 3));
    const r = tail({ include: [p("app.log")] });
    await until(() => r.events.length === 3, "first lines");
    // The writer still holds the old file: lines written after the rename must not be lost.
    const fd = openSync(p("app.log"), "a");
    renameSync(p("app.log"), p("app.log.1"));
    writeSync(fd, lines(3, 5));
    writeFileSync(p("app.log"), lines(5, 7));
    writeSync(fd, lines(7, 8));
    closeSync(fd);
    await until(() => r.events.length === 8, "every line");
    expect(seqs(r).sort((a, b) => a - b)).toEqual(range(0, 8));
    await until(() => r.metrics.gauge("file.files").value === 1, "the rotated file released");
    appendFileSync(p("app.log"), lines(8, 9));
    await until(() => r.events.length === 9, "lines of the new file");
    await stop(r);
  });

  it("copytruncate: the copy is recognised by its fingerprint, the original re-read from 0; nothing lost or repeated", async () => {
    writeFileSync(p("ct.log"), lines(0, 100));
    const r = tail({ include: [p("ct.log*")] });
    await until(() => r.events.length === 100, "first lines");
    appendFileSync(p("ct.log"), lines(100, 110));
    copyFileSync(p("ct.log"), p("ct.log.1"));
    truncateSync(p("ct.log"), 0);
    appendFileSync(p("ct.log"), lines(110, 115));
    await until(() => r.events.length >= 115, "every line");
    await new Promise((res) => setTimeout(res, 150));
    expect(seqs(r)).toHaveLength(115);
    expect(seqs(r).sort((a, b) => a - b)).toEqual(range(0, 115));
    await stop(r);
  });

  it("a file truncated in place is read again from the start", async () => {
    writeFileSync(p("a.log"), lines(0, 5));
    const r = tail({ include: [p("a.log")] });
    await until(() => r.events.length === 5, "first lines");
    truncateSync(p("a.log"), 0);
    await until(() => r.logs().includes("reading it again from the start"), "the truncation noticed");
    appendFileSync(p("a.log"), lines(5, 7));
    await until(() => r.events.length === 7, "new lines");
    expect(r.events.slice(5).map((e) => e.data.offset)).toEqual([0, 7]);
    // Rewritten past the old size before the next look: the first bytes tell.
    writeFileSync(p("a.log"), lines(100, 120));
    await until(() => r.events.length === 27, "rewritten lines");
    expect(seqs(r).slice(7)).toEqual(range(100, 120));
    await stop(r);
  });

  it("delete + recreate with the same name: both files read whole", async () => {
    writeFileSync(p("d.log"), lines(0, 3));
    const r = tail({ include: [p("d.log")] });
    await until(() => r.events.length === 3, "first lines");
    appendFileSync(p("d.log"), lines(3, 4));
    unlinkSync(p("d.log"));
    writeFileSync(p("d.log"), lines(4, 6));
    await until(() => r.events.length === 6, "every line");
    expect(seqs(r).sort((a, b) => a - b)).toEqual(range(0, 6));
    await until(() => r.metrics.gauge("file.files").value === 1, "the deleted file released");
    await stop(r);
  });
});

describe("file source: checkpoints", () => {
  it("resumes where it stopped: no line lost or repeated across a clean restart", async () => {
    writeFileSync(p("a.log"), lines(0, 5));
    const r1 = tail({ include: [p("*.log")] });
    await until(() => r1.events.length === 5, "first run");
    appendFileSync(p("a.log"), "partial");
    await stop(r1);
    expect(r1.messages().at(-1)).toBe("partial");
    const cp = await checkpoint();
    expect(cp.files).toHaveLength(1);
    expect(cp.files[0]).toMatchObject({ path: p("a.log"), offset: statSync(p("a.log")).size, ino: String(statSync(p("a.log")).ino) });

    appendFileSync(p("a.log"), "\n" + lines(5, 8));
    writeFileSync(p("b.log"), lines(8, 10)); // appeared while stopped: read whole, readFrom aside
    const r2 = tail({ include: [p("*.log")], readFrom: "end" });
    await until(() => r2.events.length === 5, "second run");
    expect(seqs(r2).sort((a, b) => a - b)).toEqual(range(5, 10));
    await stop(r2);
  });

  it("a file renamed out of the globs while stopped is found by inode and finished", async () => {
    writeFileSync(p("app.log"), lines(0, 3));
    const r1 = tail({ include: [p("app.log")] });
    await until(() => r1.events.length === 3, "first run");
    await stop(r1);
    appendFileSync(p("app.log"), lines(3, 5));
    renameSync(p("app.log"), p("app.log.1"));
    writeFileSync(p("app.log"), lines(5, 6));
    const r2 = tail({ include: [p("app.log")] });
    await until(() => r2.events.length === 3, "second run");
    expect(seqs(r2).sort((a, b) => a - b)).toEqual(range(3, 6));
    expect(r2.logs()).toContain("file rotated while stopped");
    await stop(r2);
  });

  it("a new file that reuses a checkpointed inode is read from its start", async () => {
    writeFileSync(p("a.log"), lines(0, 50));
    const st = statSync(p("a.log"));
    // As if an older file with this inode had been read to offset 300 before it was deleted.
    const dataDir = join(dir, "data");
    mkdirSync(join(dataDir, "sources", "file"), { recursive: true });
    const other = Buffer.from(lines(1000, 1100));
    const { fingerprint } = await import("./identity.js");
    await writeFile(
      join(dataDir, "sources", "file", "files.json"),
      JSON.stringify({
        version: 1,
        files: [
          { path: p("a.log"), dev: String(st.dev), ino: String(st.ino), fingerprint: fingerprint(other.subarray(0, 1024)), fingerprintBytes: 1024, offset: 300, tail: other.subarray(268, 300).toString("base64") },
        ],
      }),
    );
    const r = tail({ include: [p("a.log")] });
    await until(() => r.events.length === 50, "the whole file");
    expect(seqs(r)).toEqual(range(0, 50));
    await stop(r);
  });

  it("a corrupt checkpoint is warned about and readFrom applies", async () => {
    writeFileSync(p("a.log"), lines(0, 3));
    mkdirSync(join(dir, "data", "sources", "file"), { recursive: true });
    writeFileSync(join(dir, "data", "sources", "file", "files.json"), '{"version":1,"files":[{"pa');
    const r = tail({ include: [p("a.log")], readFrom: "end" });
    await until(() => r.logs().includes("tailing file"), "the file found");
    appendFileSync(p("a.log"), lines(3, 4));
    await until(() => r.events.length === 1, "the new line");
    expect(r.logs()).toMatch(/"level":40.*unreadable.*readFrom/);
    expect(r.metrics.counter("file.checkpoint-errors").value).toBe(1);
    await stop(r);
    expect((await checkpoint()).files[0].offset).toBe(statSync(p("a.log")).size);
  });

  it("saves positions every checkpointIntervalMs, and at once the start of files found", async () => {
    const clock = manualClock();
    writeFileSync(p("a.log"), lines(0, 10));
    const size = statSync(p("a.log")).size;
    const r = tail({ include: [p("a.log")], checkpointIntervalMs: 1000, pollIntervalMs: 100, globIntervalMs: 100 }, { clock: clock.scheduler });
    await r.plugin.settled();
    expect(r.events).toHaveLength(10);
    // Saved at once after the first scan: the start positions, nothing handed over yet.
    expect((await checkpoint()).files[0].offset).toBe(0);
    await clock.advance(999, r);
    expect((await checkpoint()).files[0].offset).toBe(0);
    // Built alone, the plugin's lines settle as they are emitted (nobody downstream).
    await clock.advance(1, r);
    expect((await checkpoint()).files[0].offset).toBe(size);
    r.sub.unsubscribe();
  });
});

/** A pipeline of one source and one sink that confirms only when the test says so. */
function held(clock: ReturnType<typeof manualClock>) {
  const metrics = new MetricsRegistry();
  const hub = new DeliveryHub({ metrics, scheduler: clock.scheduler, logger: pino({ level: "silent" }), defaultFanout: 1 });
  const confirm = (events: LiveEventInput[]) => {
    for (const e of events) hub.release(e as LiveEvent);
  };
  return { hub, metrics, confirm };
}

describe("file source: delivery (CONTRACT 7)", () => {
  const SLOW = { checkpointIntervalMs: 1000, pollIntervalMs: 100, globIntervalMs: 100 };

  it("the checkpoint advances only over settled lines, in order: a settled batch after an unsettled one waits", async () => {
    const clock = manualClock();
    const { hub, metrics, confirm } = held(clock);
    writeFileSync(p("a.log"), lines(0, 5));
    const first = statSync(p("a.log")).size;
    const r = tail({ include: [p("a.log")], ...SLOW }, { clock: clock.scheduler, delivery: hub, metrics });
    await r.plugin.settled();
    expect(r.events).toHaveLength(5);
    appendFileSync(p("a.log"), lines(5, 10));
    await clock.advance(100, r);
    expect(r.events).toHaveLength(10);
    expect(metrics.gauge("sources.file.pending").value).toBe(10);
    // The second read's batch settles first: it waits for the first one.
    confirm(r.events.slice(5));
    await clock.advance(1000, r);
    expect((await checkpoint()).files[0].offset).toBe(0);
    confirm(r.events.slice(0, 5));
    await clock.advance(1000, r);
    expect((await checkpoint()).files[0].offset).toBe(statSync(p("a.log")).size);
    expect(statSync(p("a.log")).size).toBeGreaterThan(first);
    r.sub.unsubscribe();
  });

  it("a batch a sink failed stops the checkpoint before it for the rest of the run; a restart reads it again", async () => {
    const clock = manualClock();
    const { hub, metrics, confirm } = held(clock);
    writeFileSync(p("a.log"), lines(0, 5));
    const first = statSync(p("a.log")).size;
    const r = tail({ include: [p("a.log")], ...SLOW }, { clock: clock.scheduler, delivery: hub, metrics });
    await r.plugin.settled();
    confirm(r.events);
    appendFileSync(p("a.log"), lines(5, 10));
    await clock.advance(100, r);
    const [bad, ...rest] = r.events.slice(5);
    hub.fail("sinks.out", bad as LiveEvent, new Error("disk full"));
    confirm(rest);
    appendFileSync(p("a.log"), lines(10, 15));
    await clock.advance(100, r);
    confirm(r.events.slice(10));
    await clock.advance(1000, r);
    expect(r.events).toHaveLength(15);
    expect((await checkpoint()).files[0].offset).toBe(first);
    expect(r.logs()).toMatch(/a sink failed 1 lines of .*a\.log: its checkpoint stays at offset \d+/);
    await stop(r);
    expect((await checkpoint()).files[0].offset).toBe(first);

    const again = tail({ include: [p("a.log")] });
    await until(() => again.events.length === 10, "the lines after the failed batch's start");
    expect(seqs(again)).toEqual(range(5, 15));
    await stop(again);
  });

  it("stops reading at maxPendingEvents, never checkpoints past the first unconfirmed line, and resumes when lines settle", async () => {
    const clock = manualClock();
    const { hub, metrics, confirm } = held(clock);
    writeFileSync(p("a.log"), lines(0, 100));
    const r = tail({ include: [p("a.log")], ...SLOW, maxPendingEvents: 10 }, { clock: clock.scheduler, delivery: hub, metrics });
    await r.plugin.settled();
    expect(seqs(r)).toEqual(range(0, 10));
    await clock.advance(3000, r);
    expect(r.events).toHaveLength(10);
    expect(metrics.gauge("sources.file.pending").value).toBe(10);
    expect((await checkpoint()).files[0].offset).toBe(0);

    // Room again: reading resumes at once (onCapacity), not at the next poll.
    confirm(r.events.slice(0, 10));
    await clock.advance(0, r);
    expect(seqs(r)).toEqual(range(0, 20));
    await clock.advance(1000, r);
    // Exactly up to the first unconfirmed line (line 10).
    expect((await checkpoint()).files[0].offset).toBe(Buffer.byteLength(lines(0, 10)));
    r.sub.unsubscribe();
  });

  it("paused at the bound with half a line read, it waits for the rest instead of emitting the half after lineTimeoutMs", async () => {
    const clock = manualClock();
    const { hub, metrics, confirm } = held(clock);
    mkdirSync(p("a"));
    mkdirSync(p("b"));
    // a's writer is in the middle of a line; b fills the bound.
    writeFileSync(p("a/a.log"), "half of a li");
    writeFileSync(p("b/b.log"), lines(0, 20));
    const r = tail({ include: [p("a/*.log"), p("b/*.log")], ...SLOW, maxPendingEvents: 5, lineTimeoutMs: 100 }, { clock: clock.scheduler, delivery: hub, metrics });
    await r.plugin.settled();
    expect(seqs(r)).toEqual(range(0, 5));
    appendFileSync(p("a/a.log"), "ne\n");
    await clock.advance(2000, r);
    expect(r.events).toHaveLength(5);
    confirm(r.events);
    await clock.advance(0, r);
    await clock.advance(100, r);
    expect(r.messages()).toContain("half of a line");
    expect(r.messages()).not.toContain("half of a li");
    r.sub.unsubscribe();
  });
});

describe("file source: options", () => {
  it("describes every option, has defaults, rejects bad values", () => {
    for (const [key, schema] of Object.entries(FileOptions.shape)) expect((schema as z.ZodType).description, key).toBeTruthy();
    expect(FileOptions.parse({ include: ["/x/*.log"] })).toMatchObject({ readFrom: "end", maxLineBytes: 1048576, fingerprintBytes: 1024, checkpointIntervalMs: 1000, maxOpenFiles: 1024 });
    expect(FileOptions.safeParse({}).success).toBe(false);
    expect(FileOptions.safeParse({ include: [] }).success).toBe(false);
    expect(FileOptions.safeParse({ include: ["a"], readFrom: "middle" }).success).toBe(false);
    expect(FileOptions.safeParse({ include: ["a"], includes: ["b"] }).success).toBe(false);
  });
});

/** A clock that moves only when told; timers due by then run in order, each cycle awaited. */
function manualClock() {
  let now = 0;
  const due: { at: number; work: () => void; off: boolean }[] = [];
  const scheduler = {
    now: () => now,
    schedule(work: () => void, delay = 0) {
      const t = { at: now + delay, work, off: false };
      due.push(t);
      return { unsubscribe: () => void (t.off = true) } as Subscription;
    },
  } as unknown as SchedulerLike;
  return {
    scheduler,
    async advance(ms: number, r: Run) {
      const end = now + ms;
      for (;;) {
        await r.plugin.settled();
        const next = due.filter((t) => !t.off && t.at <= end).sort((a, b) => a.at - b.at)[0];
        if (!next) break;
        due.splice(due.indexOf(next), 1);
        now = Math.max(now, next.at);
        next.work();
      }
      now = end;
      await r.plugin.settled();
    },
  };
}
