import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { LINE_PLAIN, LINE_SPLIT, LINE_TRUNCATED, LineReader, TAIL_BYTES, type LineReaderOptions } from "./lines.js";
import { utf8Boundary } from "../../../core/kit.js";

interface Line {
  text: string;
  offset: number;
  flag: number;
}

function reader(o: Partial<LineReaderOptions> = {}) {
  const lines: Line[] = [];
  const r = new LineReader({ maxLineBytes: 1024, longLines: "truncate", utf8: true, ...o }, (b, offset, flag) =>
    lines.push({ text: b.toString("utf8"), offset, flag }),
  );
  return { r, lines };
}

/** Pushes `chunks` through a reused buffer, the way the tailer reads. */
function feed(r: LineReader, chunks: (string | Buffer)[]): void {
  const shared = Buffer.alloc(4096);
  for (const c of chunks) {
    const b = typeof c === "string" ? Buffer.from(c) : c;
    b.copy(shared);
    r.push(shared.subarray(0, b.length));
    shared.fill(0x58); // the reader must not keep a view of the read buffer
  }
}

describe("LineReader", () => {
  it("emits complete lines with their byte offsets and holds the unfinished one", () => {
    const { r, lines } = reader();
    feed(r, ["ab\ncd", "e\r\nfé", "g\n", "tail"]);
    expect(lines).toEqual([
      { text: "ab", offset: 0, flag: LINE_PLAIN },
      { text: "cde", offset: 3, flag: LINE_PLAIN },
      { text: "fég", offset: 8, flag: LINE_PLAIN },
    ]);
    expect(r.lineStart).toBe(13);
    expect(r.readPos).toBe(17);
    expect(r.hasPartial).toBe(true);
    r.flushPartial();
    expect(lines.at(-1)).toEqual({ text: "tail", offset: 13, flag: LINE_PLAIN });
    expect(r.lineStart).toBe(17);
    expect(r.hasPartial).toBe(false);
  });

  it("keeps the bytes just before lineStart as its tail", () => {
    const { r } = reader();
    const text = Array.from({ length: 20 }, (_, i) => `line number ${i}\n`).join("");
    feed(r, [text.slice(0, 50), text.slice(50, 51), text.slice(51) + "partial"]);
    expect(r.tail.toString()).toBe(text.slice(text.length - TAIL_BYTES));
    expect(r.lineStart).toBe(Buffer.byteLength(text));
  });

  it("truncates long lines at a character boundary and flags them", () => {
    const { r, lines } = reader({ maxLineBytes: 64 });
    feed(r, ["x".repeat(100), "x".repeat(100) + "\nok\n", "a".repeat(63) + "€€\n", "y".repeat(64) + "\r\n"]);
    expect(lines).toEqual([
      { text: "x".repeat(64), offset: 0, flag: LINE_TRUNCATED },
      { text: "ok", offset: 201, flag: LINE_PLAIN },
      { text: "a".repeat(63), offset: 204, flag: LINE_TRUNCATED },
      { text: "y".repeat(64), offset: 204 + 70, flag: LINE_PLAIN },
    ]);
    expect(r.lineStart).toBe(204 + 70 + 66);
  });

  it("splits long lines into pieces with their own offsets", () => {
    const { r, lines } = reader({ maxLineBytes: 64, longLines: "split" });
    const long = Array.from({ length: 150 }, (_, i) => String.fromCharCode(97 + (i % 26))).join("");
    feed(r, [long.slice(0, 10), long.slice(10) + "\nnext\n"]);
    expect(lines).toEqual([
      { text: long.slice(0, 64), offset: 0, flag: LINE_SPLIT },
      { text: long.slice(64, 128), offset: 64, flag: LINE_SPLIT },
      { text: long.slice(128), offset: 128, flag: LINE_SPLIT },
      { text: "next", offset: 151, flag: LINE_PLAIN },
    ]);
  });

  it("skips to the next newline when started inside a line", () => {
    const { r, lines } = reader();
    r.reset(100);
    r.skipToNewline = true;
    feed(r, ["rest of a line", " still\nfirst\n"]);
    expect(lines).toEqual([{ text: "first", offset: 121, flag: LINE_PLAIN }]);
  });

  it("cuts UTF-8 only between characters", () => {
    expect(utf8Boundary(Buffer.from("ab😀"), 3)).toBe(2);
    expect(utf8Boundary(Buffer.from("ab😀"), 6)).toBe(6);
    expect(utf8Boundary(Buffer.from("abc"), 2)).toBe(2);
  });

  it("gives the same lines, offsets and tail however the bytes are chunked (any bytes)", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 600 }),
        fc.array(fc.nat(600), { maxLength: 10 }),
        fc.integer({ min: 4, max: 80 }),
        fc.constantFrom<"truncate" | "split">("truncate", "split"),
        (bytes, cuts, max, longLines) => {
          const buf = Buffer.from(bytes);
          const run = (chunks: Buffer[]) => {
            const { r, lines } = reader({ maxLineBytes: max, longLines });
            feed(r, chunks);
            return { lines, lineStart: r.lineStart, tail: r.tail.toString("hex"), readPos: r.readPos };
          };
          const points = [...new Set(cuts.map((c) => c % (buf.length + 1)))].sort((a, b) => a - b);
          const chunks: Buffer[] = [];
          let prev = 0;
          for (const p of points) {
            chunks.push(buf.subarray(prev, p));
            prev = p;
          }
          chunks.push(buf.subarray(prev));
          const whole = run([buf]);
          expect(run(chunks)).toEqual(whole);
          expect(whole.readPos).toBe(buf.length);
          expect(whole.tail).toBe(buf.subarray(Math.max(0, whole.lineStart - TAIL_BYTES), whole.lineStart).toString("hex"));
          for (const l of whole.lines) expect(Buffer.byteLength(l.text)).toBeLessThanOrEqual(max * 3);
          // Offsets increase, and lineStart is past every emitted line.
          for (let i = 1; i < whole.lines.length; i++) expect(whole.lines[i].offset).toBeGreaterThan(whole.lines[i - 1].offset);
          if (whole.lines.length > 0) expect(whole.lineStart).toBeGreaterThan(whole.lines.at(-1)!.offset);
        },
      ),
    );
  });
});
