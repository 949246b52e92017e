import { describe, expect, it } from "vitest";
import { PassThrough, Readable } from "node:stream";
import { createReadStream } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { lastValueFrom, toArray } from "rxjs";
import fc from "fast-check";
import { z } from "zod";
import type { LiveEventInput, Source } from "../../../core/index.js";
import { createPlugin, DeliveryHub, MetricsRegistry } from "../../../core/testing.js";
import stdin from "./index.js";
import { StdinOptions } from "./options.js";
import { LineSplitter, linesToEvents, type LinesOptions } from "./stdin.js";
import { utf8Boundary } from "../../../core/kit.js";

const opts = (o: Partial<LinesOptions> = {}): LinesOptions => ({ ...StdinOptions.parse({}), ...o });

/** Feeds `chunks` into a PassThrough one at a time (each on its own tick) and collects the events. */
async function feed(chunks: (string | Buffer)[], o: Partial<LinesOptions> = {}): Promise<LiveEventInput[]> {
  const input = new PassThrough();
  const result = lastValueFrom(linesToEvents(input, opts(o)).pipe(toArray()));
  for (const chunk of chunks) {
    input.write(typeof chunk === "string" ? Buffer.from(chunk) : chunk);
    await new Promise((r) => setImmediate(r));
  }
  input.end();
  return result;
}

const messages = (events: LiveEventInput[]): unknown[] => events.map((e) => e.data.message);

describe("stdin lines", () => {
  it("emits one stdin.line event per line and completes at EOF", async () => {
    const events = await feed(["first\nsec", "ond\n", "third"]);
    expect(events).toEqual([
      { type: "stdin.line", data: { message: "first" } },
      { type: "stdin.line", data: { message: "second" } },
      { type: "stdin.line", data: { message: "third" } },
    ]);
  });

  it("handles CRLF, a CR split from its LF, and skips blank lines", async () => {
    const events = await feed(["a\r\n\r\n", "   \n\tb\r", "\n\nc\r\n"]);
    expect(messages(events)).toEqual(["a", "\tb", "c"]);
  });

  it("decodes a multibyte character split across chunks", async () => {
    const bytes = Buffer.from("héllo 😀 wörld\n€\n");
    // Split inside "é" (2 bytes), inside the emoji (4 bytes) and inside "€" (3 bytes).
    const e = bytes.indexOf(0xc3);
    const emoji = bytes.indexOf(0xf0);
    const euro = bytes.indexOf(0xe2);
    const chunks = [bytes.subarray(0, e + 1), bytes.subarray(e + 1, emoji + 2), bytes.subarray(emoji + 2, euro + 1), bytes.subarray(euro + 1)];
    expect(messages(await feed(chunks))).toEqual(["héllo 😀 wörld", "€"]);
  });

  it("keeps the fields of JSON-object lines, their type and createdAt", async () => {
    const events = await feed([
      '{"type":"app.login","user":"ops","createdAt":"2026-11-24T11:50:00.123Z"}\n',
      '{"remoteIp":"192.0.2.7","n":3}\n',
      "{not json\n",
      "[1,2]\n",
    ]);
    expect(events).toEqual([
      { type: "app.login", createdAt: "2026-11-24T11:50:00.123Z", data: { user: "ops" } },
      { type: "stdin.line", data: { remoteIp: "192.0.2.7", n: 3 } },
      { type: "stdin.line", data: { message: "{not json" } },
      { type: "stdin.line", data: { message: "[1,2]" } },
    ]);
  });

  it("uses the `eventType` option for text lines", async () => {
    expect(await feed(["x\n"], { eventType: "app.log" })).toEqual([{ type: "app.log", data: { message: "x" } }]);
  });

  it("truncates long lines at maxLineBytes and marks them", async () => {
    const truncated: number[] = [];
    const long = "x".repeat(250);
    const events = await feed([long.slice(0, 100), long.slice(100) + "\nshort\n", "y".repeat(64) + "\r\n", "z".repeat(65)], {
      maxLineBytes: 64,
      onTruncated: (n) => truncated.push(n),
    });
    expect(events).toEqual([
      { type: "stdin.line", data: { message: "x".repeat(64), truncated: true } },
      { type: "stdin.line", data: { message: "short" } },
      { type: "stdin.line", data: { message: "y".repeat(64) } },
      { type: "stdin.line", data: { message: "z".repeat(64), truncated: true } },
    ]);
    expect(truncated).toEqual([1, 4]);
  });

  it("truncates at a character boundary, never inside a UTF-8 sequence", async () => {
    const line = "a".repeat(63) + "€€";
    const [event] = await feed([line + "\n"], { maxLineBytes: 64 });
    expect(event.data).toEqual({ message: "a".repeat(63), truncated: true });
    expect(utf8Boundary(Buffer.from("ab😀"), 3)).toBe(2);
    expect(utf8Boundary(Buffer.from("ab😀"), 5)).toBe(2);
    expect(utf8Boundary(Buffer.from("ab😀"), 6)).toBe(6);
    expect(utf8Boundary(Buffer.from("abc"), 2)).toBe(2);
  });

  it("a truncated JSON line becomes a text event", async () => {
    const json = JSON.stringify({ type: "big.record", blob: "b".repeat(200) });
    const [event] = await feed([json + "\n"], { maxLineBytes: 100 });
    expect(event.type).toBe("stdin.line");
    expect(event.data.truncated).toBe(true);
    expect(event.data.message).toBe(json.slice(0, 100));
  });

  it("decodes latin1", async () => {
    expect(messages(await feed([Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x0a])], { encoding: "latin1" }))).toEqual(["café"]);
  });

  it("strips a UTF-8 byte order mark", async () => {
    expect(messages(await feed(["\ufeffhello\n"]))).toEqual(["hello"]);
  });

  it("reads a real file to its end", async () => {
    const dir = await mkdtemp(join(tmpdir(), "livetap-stdin-"));
    try {
      const path = join(dir, "events.jsonl");
      const lines = Array.from({ length: 20_000 }, (_, i) => (i % 2 ? `plain line ${i} ünïcödé` : JSON.stringify({ type: "app.tick", i })));
      await writeFile(path, lines.join("\n"));
      // Small chunks so many lines and characters straddle chunk boundaries.
      const events = await lastValueFrom(linesToEvents(createReadStream(path, { highWaterMark: 1000 }), opts()).pipe(toArray()));
      expect(events).toHaveLength(20_000);
      events.forEach((e, i) => expect(e).toEqual(i % 2 ? { type: "stdin.line", data: { message: lines[i] } } : { type: "app.tick", data: { i } }));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("errors when the stream fails", async () => {
    const input = new PassThrough();
    const result = lastValueFrom(linesToEvents(input, opts()).pipe(toArray()));
    input.write("a\n");
    input.destroy(new Error("EIO"));
    await expect(result).rejects.toThrow("EIO");
  });

  it("completes at once on a stream that already ended", async () => {
    const input = Readable.from([Buffer.from("a\n")]);
    await lastValueFrom(linesToEvents(input, opts()).pipe(toArray()));
    expect(await lastValueFrom(linesToEvents(input, opts()).pipe(toArray()))).toEqual([]);
  });

  it("stops reading and removes its listeners when unsubscribed", () => {
    const input = new PassThrough();
    const got: LiveEventInput[] = [];
    const sub = linesToEvents(input, opts()).subscribe((e) => got.push(e));
    input.write("a\n");
    expect(input.listenerCount("data")).toBe(1);
    sub.unsubscribe();
    expect(input.listenerCount("data")).toBe(0);
    expect(input.isPaused()).toBe(true);
    input.write("b\n");
    expect(messages(got)).toEqual(["a"]);
  });

  it("splits the same way however the bytes are chunked (any bytes, no throw)", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), fc.array(fc.nat(400), { maxLength: 8 }), fc.integer({ min: 4, max: 64 }), (bytes, cuts, max) => {
        const split = (chunks: Buffer[]): { truncated: boolean; hex: string }[] => {
          const out: { truncated: boolean; hex: string }[] = [];
          const s = new LineSplitter(max, (line, truncated) => out.push({ truncated, hex: line.toString("hex") }));
          for (const c of chunks) s.push(c);
          s.end();
          return out;
        };
        const buf = Buffer.from(bytes);
        const points = [...new Set(cuts.map((c) => c % (buf.length + 1)))].sort((a, b) => a - b);
        const chunks: Buffer[] = [];
        let prev = 0;
        for (const p of points) {
          chunks.push(buf.subarray(prev, p));
          prev = p;
        }
        chunks.push(buf.subarray(prev));
        const whole = split([buf]);
        expect(split(chunks)).toEqual(whole);
        for (const line of whole) expect(line.hex.length / 2).toBeLessThanOrEqual(max);
        expect(whole.length).toBeLessThanOrEqual(buf.filter((b) => b === 0x0a).length + 1);
      }),
    );
  });
});

describe("stdin source", () => {
  it("is built by core and reads process.stdin", () => {
    const { plugin } = createPlugin(stdin, {});
    expect(typeof (plugin as Source).events).toBe("function");
  });

  it("pauses its input at maxPendingEvents and resumes once events settled", async () => {
    const { asyncScheduler } = await import("rxjs");
    const pinoLogger = (await import("pino")).default({ level: "silent" });
    const hub = new DeliveryHub({ metrics: new MetricsRegistry(), scheduler: asyncScheduler, logger: pinoLogger, defaultFanout: 1 });
    const delivery = hub.forComponent("sources.in", "source", { maxPendingEvents: 3 });
    const input = new PassThrough();
    const got: LiveEventInput[] = [];
    const sub = linesToEvents(input, { ...StdinOptions.parse({}), delivery }).subscribe((e) => got.push(e));
    input.write("a\nb\n");
    input.write("c\nd\n");
    await new Promise((r) => setImmediate(r));
    expect(got.map((e) => e.data.message)).toEqual(["a", "b", "c", "d"]);
    expect(input.isPaused()).toBe(true);
    input.write("e\n");
    await new Promise((r) => setImmediate(r));
    expect(got).toHaveLength(4);
    for (const e of got.splice(0, 2)) hub.release(e as never);
    await new Promise((r) => setImmediate(r));
    // Resumed: the waiting line came, which made the source full (and paused) again.
    expect(got.map((e) => e.data.message)).toEqual(["c", "d", "e"]);
    expect(delivery.pending).toBe(3);
    expect(input.isPaused()).toBe(true);
    sub.unsubscribe();
  });

  it("describes every option and rejects bad ones", () => {
    for (const [key, schema] of Object.entries(StdinOptions.shape)) expect((schema as z.ZodType).description, key).toBeTruthy();
    expect(StdinOptions.parse({})).toEqual({ eventType: "stdin.line", maxLineBytes: 1024 * 1024, encoding: "utf8", maxPendingEvents: 10_000, ackTimeoutMs: 10_000 });
    expect(StdinOptions.safeParse({ eventType: "Stdin Line" }).success).toBe(false);
    expect(StdinOptions.safeParse({ encoding: "ebcdic" }).success).toBe(false);
    expect(StdinOptions.safeParse({ maxLineBytes: 0 }).success).toBe(false);
    expect(StdinOptions.safeParse({ maxLines: 5 }).success).toBe(false);
  });
});
