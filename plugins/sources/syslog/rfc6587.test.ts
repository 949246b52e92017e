import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { utf8Boundary } from "../../../core/kit.js";
import { Framer, type Framing } from "./framing.js";

interface Frame {
  text: string;
  truncated: boolean;
  error?: string;
}

/** Feeds `chunks` (then EOF) through a framer and returns its frames. */
function frames(framing: Framing, chunks: (string | Buffer)[], maxLength = 1000, end = true): Frame[] {
  const out: Frame[] = [];
  const f = new Framer(framing, maxLength, (b, start, end, truncated, error) => {
    const text = b.toString("utf8", start, end);
    out.push(error === undefined ? { text, truncated } : { text, truncated, error });
  });
  for (const c of chunks) f.push(Buffer.isBuffer(c) ? c : Buffer.from(c));
  if (end) f.end();
  return out;
}
const ok = (...texts: string[]): Frame[] => texts.map((text) => ({ text, truncated: false }));
const oc = (m: string): string => `${Buffer.byteLength(m)} ${m}`;

describe("RFC 6587 3.4.1 octet counting", () => {
  it("reads MSG-LEN SP SYSLOG-MSG frames back to back", () => {
    expect(frames("octet-counting", [oc("<13>1 - - - - - - a") + oc("<13>1 - - - - - - bb")])).toEqual(ok("<13>1 - - - - - - a", "<13>1 - - - - - - bb"));
  });

  it("keeps LF inside an octet-counted frame (that is what octet counting is for)", () => {
    expect(frames("octet-counting", [oc("line1\nline2\n")])).toEqual(ok("line1\nline2\n"));
  });

  it("reads frames split anywhere across chunks, even inside MSG-LEN", () => {
    const stream = oc("<13>1 - - - - - - hello") + oc("x");
    for (let cut = 0; cut <= stream.length; cut++) {
      expect(frames("octet-counting", [stream.slice(0, cut), stream.slice(cut)])).toEqual(ok("<13>1 - - - - - - hello", "x"));
    }
  });

  it("counts bytes, not characters", () => {
    expect(frames("octet-counting", [oc("ü☃😀") + oc("z")])).toEqual(ok("ü☃😀", "z"));
  });

  it("passes on a frame that does not start with MSG-LEN as an error, up to the next LF, then resyncs", () => {
    const out = frames("octet-counting", ["<13>oops no length\n" + oc("fine")]);
    expect(out[0]).toMatchObject({ text: "<13>oops no length", error: expect.stringMatching(/MSG-LEN and a space expected.*"<"/) });
    expect(out[1]).toEqual({ text: "fine", truncated: false });
    expect(frames("octet-counting", ["12x\n"])[0]).toMatchObject({ text: "12x", error: expect.stringMatching(/got "x"/) });
  });

  it("passes on a frame cut short by the end of the stream, saying so", () => {
    expect(frames("octet-counting", ["20 <13>1 - - -"])).toEqual([
      { text: "<13>1 - - -", truncated: false, error: "RFC 6587: stream ended after 11 of 20 bytes of an octet-counted frame" },
    ]);
    expect(frames("octet-counting", ["20"])).toEqual([{ text: "20", truncated: false, error: "RFC 6587: stream ended inside a MSG-LEN" }]);
  });

  it("truncates a frame over maxLength, skips its rest and stays in sync", () => {
    const big = "<13>1 - - - - - - " + "x".repeat(2000);
    const out = frames("octet-counting", [oc(big).slice(0, 700), oc(big).slice(700) + oc("next")], 500);
    expect(out).toEqual([
      { text: big.slice(0, 500), truncated: true },
      { text: "next", truncated: false },
    ]);
  });

  it("cuts a truncated frame between characters, in one chunk or several", () => {
    const big = "<13>1 - - - - - - " + "€".repeat(400);
    const cut = "<13>1 - - - - - - " + "€".repeat(160); // 18 + 480 bytes <= 500 < 18 + 483
    expect(frames("octet-counting", [oc(big) + oc("next")], 500)).toEqual([{ text: cut, truncated: true }, { text: "next", truncated: false }]);
    const stream = oc(big);
    expect(frames("octet-counting", [stream.slice(0, 300), stream.slice(300) + oc("next")], 500)).toEqual([{ text: cut, truncated: true }, { text: "next", truncated: false }]);
  });

  it("skips a huge announced frame without buffering it", () => {
    const f = new Framer("octet-counting", 500, () => undefined);
    f.push(Buffer.from("999999999 "));
    for (let i = 0; i < 100; i++) {
      f.push(Buffer.alloc(10_000, 0x61));
      expect(f.buffered).toBeLessThanOrEqual(510);
    }
  });

  it("takes an empty frame (0 SP) as nothing", () => {
    expect(frames("octet-counting", ["0 " + oc("a")])).toEqual(ok("a"));
  });
});

describe("RFC 6587 3.4.2 non-transparent framing", () => {
  it("splits at LF, trims a CR before it and skips blank lines", () => {
    expect(frames("newline", ["a\nb\r\n\n\r\nc"])).toEqual(ok("a", "b", "c"));
  });

  it("never octet-counts in newline mode", () => {
    expect(frames("newline", ["12 <13>hello\n"])).toEqual(ok("12 <13>hello"));
  });

  it("emits a last line without LF at the end of the stream", () => {
    expect(frames("newline", ["a\nlast"])).toEqual(ok("a", "last"));
    expect(frames("newline", ["a\nlast"], 1000, false)).toEqual(ok("a"));
  });

  it("truncates a line over maxLength at a character boundary and skips to the next LF", () => {
    const out = frames("newline", ["é".repeat(400), "é".repeat(400) + "\nnext\n"], 501);
    expect(out).toEqual([
      { text: "é".repeat(250), truncated: true },
      { text: "next", truncated: false },
    ]);
  });

  it("allows the CR of CRLF past maxLength", () => {
    expect(frames("newline", ["x".repeat(500) + "\r\n"], 500)).toEqual(ok("x".repeat(500)));
    expect(frames("newline", ["x".repeat(501) + "\n"], 500)).toEqual([{ text: "x".repeat(500), truncated: true }]);
  });

  it("holds at most maxLength + 1 bytes of a line that never ends", () => {
    const seen: Frame[] = [];
    const f = new Framer("newline", 500, (b, start, end, truncated) => seen.push({ text: b.toString("utf8", start, end), truncated }));
    for (let i = 0; i < 100; i++) {
      f.push(Buffer.alloc(333, 0x61));
      expect(f.buffered).toBeLessThanOrEqual(501);
    }
    expect(seen).toEqual([{ text: "a".repeat(500), truncated: true }]);
  });
});

describe("RFC 6587 auto: decided per frame (rsyslog, Vector)", () => {
  it("mixes octet-counted and LF frames on one connection", () => {
    expect(frames("auto", [oc("<13>1 - - - - - - a\nb") + "<13>Nov 25 12:00:00 h t: c\n" + oc("d")])).toEqual(
      ok("<13>1 - - - - - - a\nb", "<13>Nov 25 12:00:00 h t: c", "d"),
    );
  });

  it("takes digits not followed by a space as the start of a line", () => {
    expect(frames("auto", ["2026-11-25T12:00:00Z host app: m\n", "123\n", "1234567890123 x\n"])).toEqual(
      ok("2026-11-25T12:00:00Z host app: m", "123", "1234567890123 x"),
    );
  });

  it("keeps digits split from the rest of their line across chunks", () => {
    expect(frames("auto", ["20", "26-11-25T12:00:00Z h a: m\n"])).toEqual(ok("2026-11-25T12:00:00Z h a: m"));
    expect(frames("auto", ["1", "2", "3", "x\n"])).toEqual(ok("123x"));
    expect(frames("auto", ["42"])).toEqual(ok("42"));
  });
});

describe("RFC 6587 properties", () => {
  const msg = fc.string({ unit: "grapheme", minLength: 1, maxLength: 50 }).filter((m) => !/^[\r\n]|^\d|[\r\n]/.test(m));

  it("yields the same frames however the stream is chunked", () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(msg, fc.boolean()), { minLength: 1, maxLength: 10 }), fc.array(fc.nat(), { maxLength: 8 }), (messages, cuts) => {
        const stream = Buffer.from(messages.map(([m, counted]) => (counted ? oc(m) : `${m}\n`)).join(""));
        const points = [...new Set(cuts.map((c) => c % (stream.length + 1)))].sort((a, b) => a - b);
        const chunks: Buffer[] = [];
        let from = 0;
        for (const p of points) {
          chunks.push(stream.subarray(from, p));
          from = p;
        }
        chunks.push(stream.subarray(from));
        expect(frames("auto", chunks)).toEqual(ok(...messages.map(([m]) => m)));
      }),
      { numRuns: 500 },
    );
  });

  it("never throws, never holds more than maxLength + 10 bytes, on any bytes", () => {
    fc.assert(
      fc.property(fc.constantFrom<Framing>("auto", "octet-counting", "newline"), fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 10 }), (framing, chunks) => {
        const f = new Framer(framing, 480, (_b, start, end) => expect(end - start).toBeLessThanOrEqual(481));
        for (const c of chunks) {
          f.push(Buffer.from(c));
          expect(f.buffered).toBeLessThanOrEqual(490);
        }
        f.end();
        expect(f.buffered).toBe(0);
      }),
      { numRuns: 1000 },
    );
  });

  it("cuts UTF-8 only between characters, losing at most one character", () => {
    fc.assert(
      // Without U+FFFD in the input: the assertion looks for the one a bad cut would decode to.
      fc.property(fc.string({ unit: "grapheme", maxLength: 40 }).filter((s) => !s.includes("\uFFFD")), fc.nat(200), (s, max) => {
        const b = Buffer.from(s);
        const cut = utf8Boundary(b, max);
        expect(cut).toBeLessThanOrEqual(max);
        expect(Math.min(b.length, max) - cut).toBeLessThanOrEqual(3);
        expect(b.subarray(0, cut).toString()).not.toContain("\uFFFD");
        expect(s.startsWith(b.subarray(0, cut).toString())).toBe(true);
      }),
      { numRuns: 1000 },
    );
  });
});
