/**
 * Cutting bytes at character boundaries, for sources that bound line and message sizes:
 * a cut never leaves half a UTF-8 character (which would decode to U+FFFD).
 */

/**
 * The largest end <= `end` such that b[start, end) does not stop inside a multi-byte UTF-8
 * character. Looks back only (at most 3 bytes), so it works on a cut whose next byte is gone.
 */
export function utf8End(b: Uint8Array, start: number, end: number): number {
  let lead = end - 1;
  while (lead >= start && end - lead <= 3 && (b[lead] & 0xc0) === 0x80) lead--;
  if (lead < start) return end;
  const c = b[lead];
  const size = c >= 0xf0 && c <= 0xf7 ? 4 : c >= 0xe0 ? (c <= 0xef ? 3 : 1) : c >= 0xc0 ? 2 : 1;
  return end - lead < size ? lead : end;
}

/** The largest length <= max that does not end inside a UTF-8 sequence (all of `buf` when it fits). */
export function utf8Boundary(buf: Uint8Array, max: number): number {
  return buf.length <= max ? buf.length : utf8End(buf, 0, max);
}

// Buffer's own codecs: `toString()` and `write()` check and normalise their arguments on every
// call (a measurable share of a per-event encode); these are what they end in. Decoding turns
// invalid UTF-8 into U+FFFD, never an exception.
interface Utf8Codec {
  utf8Slice(start: number, end: number): string;
  utf8Write(s: string, offset: number, max: number): number;
}

/** UTF-8 text of b[start, end), with replacement characters for invalid bytes. */
export function utf8Text(b: Buffer, start: number, end: number): string {
  return (b as unknown as Utf8Codec).utf8Slice(start, end);
}

/**
 * Writes `s` as UTF-8 into `b` at `offset`, at most `max` bytes (never part of a character),
 * and returns the bytes written.
 */
export function writeUtf8(b: Buffer, s: string, offset: number, max: number): number {
  return (b as unknown as Utf8Codec).utf8Write(s, offset, max);
}
