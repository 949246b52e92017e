/**
 * The sample operator's key hash and random source. Dependency-free and pure on purpose:
 * the decision "is this key kept" must be the same in every livetap process (and is tested
 * by running this very file in a second node process), so nothing here may read the
 * environment, the clock or module state.
 */

/**
 * MurmurHash3 x86 32-bit of the UTF-8 bytes of `text` (lone surrogates as U+FFFD, as
 * TextEncoder does), so other implementations (Go, Python `mmh3`, Rust) agree with it.
 * Encodes on the fly: no buffer allocated per call.
 */
export function murmur3(text: string, seed = 0): number {
  let h = seed >>> 0;
  let k = 0; // the 4-byte block being filled, little-endian
  let shift = 0; // bits already in k
  let length = 0;
  const n = text.length;
  for (let i = 0; i < n; i++) {
    let c = text.charCodeAt(i);
    // The code point's UTF-8 bytes, first byte lowest, and how many there are.
    let bytes: number;
    let count: number;
    if (c < 0x80) {
      bytes = c;
      count = 1;
    } else if (c < 0x800) {
      bytes = (0xc0 | (c >> 6)) | ((0x80 | (c & 0x3f)) << 8);
      count = 2;
    } else {
      if (c >= 0xd800 && c <= 0xdfff) {
        const next = i + 1 < n ? text.charCodeAt(i + 1) : 0;
        if (c <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
          c = 0x10000 + ((c - 0xd800) << 10) + (next - 0xdc00);
          i++;
        } else c = 0xfffd;
      }
      if (c >= 0x10000) {
        bytes = (0xf0 | (c >> 18)) | ((0x80 | ((c >> 12) & 0x3f)) << 8) | ((0x80 | ((c >> 6) & 0x3f)) << 16) | ((0x80 | (c & 0x3f)) << 24);
        count = 4;
      } else {
        bytes = (0xe0 | (c >> 12)) | ((0x80 | ((c >> 6) & 0x3f)) << 8) | ((0x80 | (c & 0x3f)) << 16);
        count = 3;
      }
    }
    length += count;
    for (; count > 0; count--) {
      k |= (bytes & 0xff) << shift;
      bytes >>>= 8;
      shift += 8;
      if (shift === 32) {
        k = Math.imul(k, 0xcc9e2d51);
        k = (k << 15) | (k >>> 17);
        k = Math.imul(k, 0x1b873593);
        h ^= k;
        h = (h << 13) | (h >>> 19);
        h = (Math.imul(h, 5) + 0xe6546b64) | 0;
        k = 0;
        shift = 0;
      }
    }
  }
  if (shift > 0) {
    k = Math.imul(k, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, 0x1b873593);
    h ^= k;
  }
  h ^= length;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** The text a key value is hashed as: strings as they are, numbers and booleans as String(), objects and arrays as JSON. */
export function keyText(value: unknown): string {
  if (typeof value === "string") return value;
  if (typeof value === "object" && value !== null) {
    try {
      return JSON.stringify(value) ?? "";
    } catch {
      return String(value);
    }
  }
  return String(value);
}

/** 2^32: the hash range. */
const RANGE = 0x1_0000_0000;

/**
 * "Is this key value kept" at `ratio` with `seed`: its hash falls below ratio * 2^32. The same
 * value, ratio and seed give the same answer in every process; a key kept at one ratio is
 * also kept at any higher ratio.
 */
export function keyedSampler(ratio: number, seed = 0): (value: unknown) => boolean {
  const threshold = Math.floor(ratio * RANGE);
  const s = seed >>> 0;
  return (value) => murmur3(keyText(value), s) < threshold;
}

/** mulberry32: a small, fast PRNG in [0, 1), repeatable from a 32-bit seed (random mode with `hashSeed`). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
