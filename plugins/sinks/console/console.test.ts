import { describe, expect, it, vi } from "vitest";
import { PassThrough, Writable } from "node:stream";
import { EMPTY, from, NEVER, Subject, throwError, type SchedulerLike } from "rxjs";
import { z } from "zod";
import type { LiveEvent, Logger, Sink } from "../../../core/index.js";
import { createPlugin, MetricsRegistry } from "../../../core/testing.js";
import consoleSink from "./index.js";
import { ConsoleOptions } from "./options.js";
import { EventPrinter, useColor } from "./console.js";
import { formatEvent, sanitize } from "./format.js";

const event = (i: number, data: Record<string, unknown> = {}): LiveEvent => ({
  id: `1732445000123-${i}`,
  type: "smtp.connection-start",
  createdAt: "2026-11-24T11:50:00.123Z",
  text: "SMTP connection started",
  data: { remoteIp: "192.0.2.7", n: i, ...data },
});

function services(now = () => 0) {
  const log = { warn: vi.fn(), error: vi.fn(), info: vi.fn() };
  const metrics = new MetricsRegistry();
  const clock = { now, schedule: () => { throw new Error("no timers expected"); } } as unknown as SchedulerLike;
  return { log, metrics, clock, s: { log: log as unknown as Logger, metrics, clock, env: {} } };
}

/** A writable that takes `delayMs` per chunk and records everything. */
function slowWritable(delayMs: number, highWaterMark = 1024) {
  const chunks: string[] = [];
  const out = new Writable({
    highWaterMark,
    write(chunk: Buffer, _enc, cb) {
      chunks.push(chunk.toString());
      setTimeout(cb, delayMs);
    },
  });
  return { out, text: () => chunks.join(""), chunks };
}

const opts = (o: Record<string, unknown> = {}): ConsoleOptions => ConsoleOptions.parse(o);

describe("formatEvent", () => {
  it("prints JSON lines in the contract's shape", () => {
    const e = event(1);
    expect(formatEvent(e, { format: "json", color: false })).toBe(JSON.stringify(e) + "\n");
  });

  it("survives data JSON cannot carry", () => {
    const circular: Record<string, unknown> = { a: 1 };
    circular.self = circular;
    const line = formatEvent({ ...event(1), data: circular }, { format: "json", color: false });
    expect(JSON.parse(line)).toMatchObject({ type: "smtp.connection-start", data: { unserializable: true } });
    expect(JSON.parse(formatEvent({ ...event(2), data: { big: 10n } }, { format: "json", color: false })).data).toEqual({ big: "10" });
    expect(formatEvent({ ...event(3), data: circular }, { format: "pretty", color: false })).toContain("self=");
  });

  it("prints one pretty line: time, padded type, text, key=value data", () => {
    const line = formatEvent(event(7, { domain: "example.org", note: "two words", tags: ["a", "b"], tls: true }), { format: "pretty", color: false });
    expect(line).toBe(
      `11:50:00.123 ${"smtp.connection-start".padEnd(24)} SMTP connection started remoteIp=192.0.2.7 n=7 domain=example.org note="two words" tags=["a","b"] tls=true\n`,
    );
    expect(formatEvent({ ...event(1), type: "a.b", text: undefined, data: {} }, { format: "pretty", color: false })).toBe(
      `11:50:00.123 ${"a.b".padEnd(24)}\n`,
    );
  });

  it("never lets input write terminal control sequences", () => {
    const nasty = "\u001b[2J\u001b]0;pwned\u0007 \r\n\u202e";
    const line = formatEvent({ ...event(1), text: nasty, data: { [nasty]: nasty } }, { format: "pretty", color: true });
    // eslint-disable-next-line no-control-regex -- looking for control characters is the point
    expect(line.slice(0, -1)).not.toMatch(/[\u0000-\u0008\u000a-\u001a\u001c-\u001f\u007f\u202e]/);
    // The only ESC bytes left are our own color codes: ESC [ digits m.
    // eslint-disable-next-line no-control-regex -- our own color codes
    expect(line.replace(/\u001b\[\d+m/g, "")).not.toContain("\u001b");
    expect(sanitize("a\tb\nc\u001bd")).toBe("a\\tb\\nc\\u001bd");
  });

  it("colors by level only when asked", () => {
    const error = { ...event(1), data: { level: "error" } };
    expect(formatEvent(error, { format: "pretty", color: false })).not.toContain("\u001b");
    expect(formatEvent(error, { format: "pretty", color: true })).toContain("\u001b[31m");
    expect(formatEvent({ ...event(1), data: { level: "warning" } }, { format: "pretty", color: true })).toContain("\u001b[33m");
    expect(formatEvent(error, { format: "json", color: true })).toBe(JSON.stringify(error) + "\n");
  });

  it("uses colors on a terminal unless NO_COLOR, or as forced", () => {
    expect(useColor(opts(), { isTTY: true }, {})).toBe(true);
    expect(useColor(opts(), { isTTY: true }, { NO_COLOR: "1" })).toBe(false);
    expect(useColor(opts(), {}, {})).toBe(false);
    expect(useColor(opts({ color: "always" }), {}, {})).toBe(true);
    expect(useColor(opts({ color: "never" }), { isTTY: true }, {})).toBe(false);
  });
});

describe("console printer", () => {
  it("writes every event in order and resolves once the output drained", async () => {
    const { out, text, chunks } = slowWritable(1, 256);
    const { s } = services();
    const events = Array.from({ length: 2000 }, (_, i) => event(i));
    await new EventPrinter(out, opts(), s).consume(from(events));
    expect(text()).toBe(events.map((e) => JSON.stringify(e) + "\n").join(""));
    // A synchronous burst is one write, not one per event.
    expect(chunks.length).toBeLessThan(10);
  });

  it("respects backpressure: waits for 'drain' instead of piling into the writable", async () => {
    const { out, text } = slowWritable(2, 1024);
    const { s, metrics } = services();
    const input = new Subject<LiveEvent>();
    const printer = new EventPrinter(out, opts({ format: "pretty" }), s);
    const done = printer.consume(input);
    let most = 0;
    for (let i = 0; i < 200; i++) {
      for (let j = 0; j < 10; j++) input.next(event(i * 10 + j));
      most = Math.max(most, out.writableLength);
      await new Promise((r) => setImmediate(r));
    }
    input.complete();
    await done;
    expect(text().split("\n")).toHaveLength(2001);
    expect(metrics.counter("console.dropped").value).toBe(0);
    // One batch at a time in the writable, never the whole backlog.
    expect(most).toBeLessThan(64 * 1024);
  });

  it("drops past maxBufferBytes, counts it, warns at most once a second", async () => {
    let cb: (() => void) | undefined;
    const stuck = new Writable({ highWaterMark: 16, write: (_c, _e, done) => (cb = done) });
    let now = 0;
    const { s, metrics, log } = services(() => now);
    const input = new Subject<LiveEvent>();
    const printer = new EventPrinter(stuck, opts({ maxBufferBytes: 65_536 }), s);
    const done = printer.consume(input);
    const big = "x".repeat(1000);
    for (let i = 0; i < 200; i++) {
      now = i * 10; // 2 s of virtual time
      input.next(event(i, { big }));
      await Promise.resolve();
    }
    const dropped = metrics.counter("console.dropped").value;
    expect(dropped).toBeGreaterThan(100);
    expect(metrics.counter("events.dropped").value).toBe(dropped);
    expect(log.warn.mock.calls.length).toBeGreaterThanOrEqual(1);
    expect(log.warn.mock.calls.length).toBeLessThanOrEqual(2);
    // Let the output go: what was kept is written and consume() resolves.
    const release = setInterval(() => cb?.(), 1);
    input.complete();
    await done;
    clearInterval(release);
    const reported = log.warn.mock.calls.reduce((sum, [fields]) => sum + (fields as { dropped: number }).dropped, 0);
    expect(reported).toBe(dropped);
  });

  it("rejects when the output fails, and stop() still resolves, twice", async () => {
    const broken = new Writable({ write: (_c, _e, cb) => cb(Object.assign(new Error("write EPIPE"), { code: "EPIPE" })) });
    const { s, log } = services();
    const printer = new EventPrinter(broken, opts(), s);
    const input = new Subject<LiveEvent>();
    const done = printer.consume(input);
    input.next(event(1));
    await expect(done).rejects.toThrow("EPIPE");
    expect(input.observed).toBe(false);
    expect(log.error).toHaveBeenCalledTimes(1);
    await printer.stop();
    await printer.stop();
  });

  it("flushes then rejects when its input errors", async () => {
    const out = new PassThrough();
    const { s } = services();
    await expect(new EventPrinter(out, opts(), s).consume(throwError(() => new Error("upstream")))).rejects.toThrow("upstream");
  });

  it("stop() ends an unfinished consume() after writing what it took", async () => {
    const out = new PassThrough();
    const { s } = services();
    const printer = new EventPrinter(out, opts(), s);
    const input = new Subject<LiveEvent>();
    const done = printer.consume(input);
    input.next(event(1));
    await printer.stop();
    await done;
    expect(input.observed).toBe(false);
    expect(out.read().toString()).toBe(JSON.stringify(event(1)) + "\n");
  });
});

describe("console sink", () => {
  it("starts, consumes, stops (twice), and stops without start", async () => {
    const a = createPlugin(consoleSink, {}).plugin as Sink;
    await a.stop?.();
    await a.stop?.();
    const b = createPlugin(consoleSink, { format: "pretty" }).plugin as Sink;
    await b.start?.();
    await b.consume(EMPTY);
    await b.stop?.();
    await b.stop?.();
    const c = createPlugin(consoleSink, {}).plugin as Sink;
    const pending = c.consume(NEVER);
    await c.stop?.();
    await pending;
  });

  it("describes every option and rejects bad ones", () => {
    for (const [key, schema] of Object.entries(ConsoleOptions.shape)) expect((schema as z.ZodType).description, key).toBeTruthy();
    expect(ConsoleOptions.parse({})).toEqual({ format: "json", color: "auto", maxBufferBytes: 16 * 1024 * 1024 });
    expect(ConsoleOptions.safeParse({ format: "yaml" }).success).toBe(false);
    expect(ConsoleOptions.safeParse({ colour: "never" }).success).toBe(false);
    expect(ConsoleOptions.safeParse({ maxBufferBytes: 10 }).success).toBe(false);
  });
});
