import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { keyedSampler, keyText, mulberry32, murmur3 } from "./hash.js";

/** The textbook MurmurHash3 x86_32 over a byte buffer, to check the on-the-fly UTF-8 encoding against. */
function reference(bytes: Uint8Array, seed: number): number {
  let h = seed >>> 0;
  const blocks = bytes.length & ~3;
  for (let i = 0; i < blocks; i += 4) {
    let k = bytes[i] | (bytes[i + 1] << 8) | (bytes[i + 2] << 16) | (bytes[i + 3] << 24);
    k = Math.imul(k, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, 0x1b873593);
    h ^= k;
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  const tail = bytes.length & 3;
  if (tail > 0) {
    let k = 0;
    for (let j = tail - 1; j >= 0; j--) k = (k << 8) | bytes[blocks + j];
    k = Math.imul(k, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, 0x1b873593);
    h ^= k;
  }
  h ^= bytes.length;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

describe("murmur3", () => {
  // Published MurmurHash3_x86_32 vectors (SMHasher; Python mmh3 agrees).
  it.each([
    ["", 0, 0x00000000],
    ["", 1, 0x514e28b7],
    ["hello", 0, 0x248bfa47],
    ["aaaa", 0x9747b28c, 0x5a97808a],
    ["Hello, world!", 1234, 0xfaf6cdb3],
    ["The quick brown fox jumps over the lazy dog", 0, 0x2e4ff723],
  ])("murmur3(%j, %d) = %d", (text, seed, expected) => {
    expect(murmur3(text, seed)).toBe(expected);
  });

  it("hashes the UTF-8 bytes of any string, lone surrogates as U+FFFD", () => {
    const encoder = new TextEncoder();
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 40 }), fc.nat(0xffff_ffff), (s, seed) => murmur3(s, seed) === reference(encoder.encode(s), seed)),
      { numRuns: 1000, seed: 7 },
    );
    expect(murmur3("\ud800x", 3)).toBe(reference(encoder.encode("\ud800x"), 3));
    expect(murmur3("€😀é", 3)).toBe(reference(encoder.encode("€😀é"), 3));
  });

  it("takes values as text: strings as they are, numbers as String(), objects as JSON", () => {
    expect(keyText("192.0.2.7")).toBe("192.0.2.7");
    expect(keyText(42)).toBe("42");
    expect(keyText(true)).toBe("true");
    expect(keyText(["a", 1])).toBe('["a",1]');
    expect(keyText({ a: 1 })).toBe('{"a":1}');
  });

  it("nests kept sets: a key kept at one ratio is kept at any higher one", () => {
    const low = keyedSampler(0.05, 9);
    const high = keyedSampler(0.2, 9);
    for (let i = 0; i < 20_000; i++) if (low(`k${i}`)) expect(high(`k${i}`)).toBe(true);
  });

  it("mulberry32 repeats from its seed and stays in [0, 1)", () => {
    const a = mulberry32(5);
    const b = mulberry32(5);
    for (let i = 0; i < 1000; i++) {
      const x = a();
      expect(x).toBe(b());
      expect(x).toBeGreaterThanOrEqual(0);
      expect(x).toBeLessThan(1);
    }
  });
});
