import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { utf8Boundary, utf8End, utf8Text, writeUtf8 } from "./utf8.js";

describe("utf8Boundary", () => {
  it.each([
    ["ab😀", 3, 2],
    ["ab😀", 5, 2],
    ["ab😀", 6, 6],
    ["abc", 2, 2],
    ["é", 1, 0],
    ["aé", 2, 1],
  ])("%s cut at %i keeps %i bytes", (s, max, out) => expect(utf8Boundary(Buffer.from(s), max)).toBe(out));

  it("never cuts a valid string inside a character", () => {
    fc.assert(
      fc.property(fc.string({ unit: "grapheme" }), fc.nat(64), (s, max) => {
        const b = Buffer.from(s);
        const n = utf8Boundary(b, max);
        if (b.length <= max) expect(n).toBe(b.length);
        else expect(n).toBeLessThanOrEqual(max);
        expect(Buffer.from(b.subarray(0, n).toString()).equals(b.subarray(0, n))).toBe(true);
      }),
    );
  });

  it("utf8End looks back only", () => {
    const b = Buffer.from("x😀");
    expect(utf8End(b, 0, 3)).toBe(1);
    expect(utf8End(b, 0, 5)).toBe(5);
  });
});

describe("utf8Text and writeUtf8 (Buffer's codecs without argument checks)", () => {
  it("agree with toString and write on any string, and write no part of a character past max", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary" }), fc.nat(8), fc.nat(40), (s, offset, max) => {
        const a = Buffer.alloc(offset + 200);
        const b = Buffer.alloc(offset + 200);
        const n = writeUtf8(a, s, offset, max);
        expect(n).toBe(b.write(s, offset, max, "utf8"));
        expect(a.equals(b)).toBe(true);
        expect(utf8Text(a, offset, offset + n)).toBe(a.toString("utf8", offset, offset + n));
      }),
    );
  });

  it("turns invalid bytes into U+FFFD", () => {
    expect(utf8Text(Buffer.from([0x61, 0xff, 0xc3]), 0, 3)).toBe("a\ufffd\ufffd");
  });
});
