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
