/**
 * The first of RFC 5424's two steps: the bytes of a message scanned and checked in one pass,
 * each field's place written as offsets into a `Tokens` record. No string and no object is
 * made, so this runs on any thread: the receive thread scans while the main thread builds
 * the events (parse-rfc5424.ts `buildRfc5424`). Pure; imports nothing that needs the kit.
 *
 *   SYSLOG-MSG = PRI VERSION SP TIMESTAMP SP HOSTNAME SP APP-NAME SP PROCID SP MSGID
 *                SP STRUCTURED-DATA [SP MSG]
 *
 * Strict where a mistake would put data under the wrong key (STRUCTURED-DATA syntax, the
 * TIMESTAMP), lenient where peers are (rsyslog, Vector's syslog_loose): field lengths past
 * the RFC's limits, lowercase `t`/`z`, fractions past 6 digits, no offset (read in the source's
 * `timezone`), a missing STRUCTURED-DATA field (the rest is MSG), a message that ends after
 * the header.
 */
import { utf8Text } from "../../../core/lib/utf8.js";
import { readIsoStamp, type StampResult } from "./stamps.js";
import type { Zone } from "./time.js";

// Byte constants are local, not imported: V8 re-reads an imported binding on every use,
// which makes the byte loops of this file a quarter slower.
const SP = 0x20;
const DASH = 0x2d;
const LBRACKET = 0x5b;
const RBRACKET = 0x5d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const EQUALS = 0x3d;
const LT = 0x3c;
const GT = 0x3e;
const LF = 0x0a;
const CR = 0x0d;
const isDigit = (c: number): boolean => c >= 0x30 && c <= 0x39;

/**
 * Where the fields of one scanned message are: a record of int32s at some offset `o` of
 * `Tokens.a`, at these indexes. Offsets are into the bytes that were scanned; -1 is an absent
 * field. After the fixed part come the STRUCTURED-DATA elements, each `[idStart, idEnd,
 * params]` followed by `params` times `[nameStart, nameEnd, valueStart, valueEnd, escaped]`.
 * (Plain numbers, not an enum: tsc keeps enums as objects here, a lookup on every use.)
 */
/** Ints in the whole record (fixed part and elements). */
const SIZE = 0;
/** The message's bytes: [START, END), END without trailing CR/LF. */
const START = 1;
const END = 2;
const PRI = 3;
const VERSION = 4;
/** Index of the TIMESTAMP's instant in `Tokens.ms`, -1 for NILVALUE. */
const STAMP_AT = 5;
/** HOSTNAME, APP-NAME, PROCID, MSGID: start and end each, from here. */
const FIELDS = 6;
/** Where MSG starts (after a BOM); -1 when there is none or it is empty. */
const MESSAGE = 14;
/** Number of STRUCTURED-DATA elements; -1 for NILVALUE or none. */
const ELEMENTS = 15;
const FIXED = 16;
/** The layout, for the builder (which copies it into constants of its own). */
export const REC = { SIZE, START, END, PRI, VERSION, STAMP_AT, FIELDS, MESSAGE, ELEMENTS, FIXED } as const;
export const ELEMENT_INTS = 3;
export const PARAM_INTS = 5;

/**
 * Growable records: ints in `a`, instants (ms, beyond int32) in `ms`. Memory: about 5 ints
 * per structured-data param, so a few times the bytes scanned; reset() keeps the arrays.
 */
export class Tokens {
  a = new Int32Array(1024);
  /** Ints used. */
  n = 0;
  ms = new Float64Array(64);
  /** Instants used. */
  stamps = 0;

  reset(): void {
    this.n = 0;
    this.stamps = 0;
  }

  /** Room for `k` more ints at n. */
  reserve(k: number): Int32Array {
    if (this.n + k > this.a.length) {
      const a = new Int32Array(Math.max(this.a.length * 2, this.n + k));
      a.set(this.a.subarray(0, this.n));
      this.a = a;
    }
    return this.a;
  }

  addStamp(ms: number): number {
    if (this.stamps === this.ms.length) {
      const ms2 = new Float64Array(this.ms.length * 2);
      ms2.set(this.ms);
      this.ms = ms2;
    }
    this.ms[this.stamps] = ms;
    return this.stamps++;
  }
}

/** A syntax error and where; thrown inside the scan, caught at its entry points. */
export class SyntaxProblem {
  constructor(readonly message: string) {}
}

/** Where readIsoStamp leaves its result: one object for every message (scanning is synchronous). */
const STAMP: StampResult = { next: 0, ms: 0 };

/** The end of `b` without trailing CR, LF (CONTRACT: "trailing CR/LF removed"). */
export function trimEnd(b: Uint8Array, start: number, end: number): number {
  while (end > start && (b[end - 1] === LF || b[end - 1] === CR)) end--;
  return end;
}

/** Past a UTF-8 byte order mark at `p`, if there is one. */
export function skipBom(b: Uint8Array, p: number, end: number): number {
  return end - p >= 3 && b[p] === 0xef && b[p + 1] === 0xbb && b[p + 2] === 0xbf ? p + 3 : p;
}

/** A printable description of the byte at `p` for parse errors. */
export function describeAt(b: Uint8Array, p: number, end: number): string {
  if (p >= end) return "end of message";
  const c = b[p];
  return c >= 0x21 && c <= 0x7e ? `"${String.fromCharCode(c)}" at byte ${p}` : `byte 0x${c.toString(16).padStart(2, "0")} at byte ${p}`;
}

/** readPri results that are not a PRI value. */
export const NO_PRI = -1;
export const PRI_DIGITS = -2;
export const PRI_OVER = -3;
export const PRI_ZERO = -4;

/**
 * PRI at `p` (`<0>` to `<191>`): its value (the header goes on at the byte after `>`), NO_PRI
 * when b[p] is not `<`, or PRI_DIGITS / PRI_OVER / PRI_ZERO for a malformed one.
 */
export function readPri(b: Uint8Array, p: number, end: number): number {
  if (b[p] !== LT) return NO_PRI;
  let q = p + 1;
  let value = 0;
  while (q < end && q - p <= 3 && isDigit(b[q])) value = value * 10 + (b[q++] - 0x30);
  if (q === p + 1 || b[q] !== GT) return PRI_DIGITS;
  if (value > 191) return PRI_OVER;
  // RFC 5424 6.2.1: PRIVAL has no leading zeros ("<0>" is the only one starting with 0).
  if (b[p + 1] === 0x30 && q > p + 2) return PRI_ZERO;
  return value;
}

/** Bytes of `<PRI>` for a value readPri returned. */
export const priLength = (value: number): number => (value < 10 ? 3 : value < 100 ? 4 : 5);

/**
 * True when b[p..] starts like the rest of an RFC 5424 header after PRI: VERSION (1-3
 * digits, no leading zero) SP, then `-` SP or an ISO date. Decides the format before parsing,
 * so `<13>1 apple` stays an RFC 3164 message ("1 apple").
 */
export function looksRfc5424(b: Uint8Array, p: number, end: number): boolean {
  const v = b[p];
  if (!(v >= 0x31 && v <= 0x39)) return false;
  let q = p + 1;
  while (q < end && q - p < 3 && isDigit(b[q])) q++;
  if (b[q] !== SP) return false;
  q++;
  if (b[q] === DASH) return q + 1 === end || b[q + 1] === SP;
  return end - q >= 5 && isDigit(b[q]) && isDigit(b[q + 1]) && isDigit(b[q + 2]) && isDigit(b[q + 3]) && b[q + 4] === DASH;
}

/**
 * Scans a whole frame b[start, end) when it is an RFC 5424 message with a valid header and
 * structured data: appends its record to `tk` and returns true. Anything else (RFC 3164, a
 * syntax error) appends nothing and returns false: the full parser then makes the event,
 * with its error message.
 */
export function scanFrame(b: Buffer, start: number, end: number, zone: Zone, tk: Tokens): boolean {
  end = trimEnd(b, start, end);
  const pri = readPri(b, start, end);
  if (pri < 0) return false;
  const p = start + priLength(pri);
  if (!looksRfc5424(b, p, end)) return false;
  const n = tk.n;
  const stamps = tk.stamps;
  try {
    scanRfc5424(b, start, p, end, pri, zone, tk);
    return true;
  } catch (e) {
    if (!(e instanceof SyntaxProblem)) throw e;
    tk.n = n;
    tk.stamps = stamps;
    return false;
  }
}

/**
 * Scans the part after PRI (at p) of the RFC 5424 message b[start, end) (end already
 * trimmed) and appends its record to `tk`. Throws SyntaxProblem; `tk` may then hold part of
 * a record past its old `n` (callers put n back).
 */
export function scanRfc5424(b: Buffer, start: number, p: number, end: number, pri: number, zone: Zone, tk: Tokens): void {
  const o = tk.n;
  let a = tk.reserve(FIXED);
  a[o + START] = start;
  a[o + END] = end;
  a[o + PRI] = pri;
  let version = 0;
  while (b[p] !== SP) version = version * 10 + (b[p++] - 0x30);
  a[o + VERSION] = version;
  p++;

  if (b[p] === DASH) {
    a[o + STAMP_AT] = -1;
    p++;
  } else {
    const st = STAMP;
    st.next = p;
    st.ms = 0;
    if (!readIsoStamp(b, p, end, zone, st)) throw new SyntaxProblem(`RFC 5424: TIMESTAMP is not RFC 3339 (${describeAt(b, p, end)})`);
    if (Number.isNaN(st.ms)) throw new SyntaxProblem(`RFC 5424: TIMESTAMP "${utf8Text(b, p, st.next)}" is out of range`);
    if (st.next < end && b[st.next] !== SP) throw new SyntaxProblem(`RFC 5424: TIMESTAMP ends in ${describeAt(b, st.next, end)}`);
    a[o + STAMP_AT] = tk.addStamp(st.ms);
    p = st.next;
  }

  // HOSTNAME, APP-NAME, PROCID, MSGID: tokens up to SP; `-` (NILVALUE) and empty are absent.
  for (let field = 0; field < 4; field++) {
    const at = o + FIELDS + 2 * field;
    a[at] = -1;
    if (p >= end) continue;
    p++; // the SP before the field
    let q = p;
    while (q < end && b[q] !== SP) q++;
    if (q > p && !(q === p + 1 && b[p] === DASH)) {
      a[at] = p;
      a[at + 1] = q;
    }
    p = q;
  }

  a[o + MESSAGE] = -1;
  a[o + ELEMENTS] = -1;
  tk.n = o + FIXED;
  if (p < end) {
    p++; // SP before STRUCTURED-DATA
    if (b[p] === DASH && (p + 1 === end || b[p + 1] === SP)) p++;
    else if (b[p] === LBRACKET) {
      p = scanElements(b, p, end, tk, o);
      a = tk.a;
    }
    // Anything else: a sender that left out STRUCTURED-DATA; the rest is MSG.
    else p--;
    if (p < end && b[p] === SP) p++;
    if (p < end) {
      p = skipBom(b, p, end);
      if (p < end) a[o + MESSAGE] = p;
    }
  }
  a[o + SIZE] = tk.n - o;
}

/**
 * SD-ELEMENTs from p (at `[`) until a byte that is not `[`, appended to the record at `o`;
 * returns the position after the last `]`.
 */
function scanElements(b: Buffer, p: number, end: number, tk: Tokens, o: number): number {
  let elements = 0;
  while (p < end && b[p] === LBRACKET) {
    const idStart = ++p;
    while (p < end && b[p] !== SP && b[p] !== RBRACKET && b[p] !== EQUALS && b[p] !== QUOTE) p++;
    if (p === idStart) throw new SyntaxProblem(`RFC 5424: STRUCTURED-DATA: SD-ID expected, got ${describeAt(b, p, end)}`);
    if (p >= end) throw new SyntaxProblem("RFC 5424: STRUCTURED-DATA: element not closed with ]");
    if (b[p] !== SP && b[p] !== RBRACKET) throw new SyntaxProblem(`RFC 5424: STRUCTURED-DATA: invalid SD-ID (${describeAt(b, p, end)})`);
    const idEnd = p;
    const e = tk.n;
    let a = tk.reserve(ELEMENT_INTS);
    a[e] = idStart;
    a[e + 1] = idEnd;
    tk.n = e + ELEMENT_INTS;
    let params = 0;
    while (b[p] === SP) {
      while (b[p] === SP) p++; // lenient: extra spaces between params
      if (b[p] === RBRACKET) break;
      const nameStart = p;
      while (p < end && b[p] !== EQUALS && b[p] !== SP && b[p] !== RBRACKET && b[p] !== QUOTE) p++;
      if (p === nameStart || b[p] !== EQUALS) {
        throw new SyntaxProblem(`RFC 5424: STRUCTURED-DATA: PARAM-NAME "=" expected in [${utf8Text(b, idStart, idEnd)}], got ${describeAt(b, p, end)}`);
      }
      const nameEnd = p;
      p++;
      if (b[p] !== QUOTE) {
        throw new SyntaxProblem(`RFC 5424: STRUCTURED-DATA: '"' expected after ${utf8Text(b, nameStart, nameEnd)}= in [${utf8Text(b, idStart, idEnd)}], got ${describeAt(b, p, end)}`);
      }
      const valueStart = ++p;
      let escaped = 0;
      while (p < end && b[p] !== QUOTE) {
        if (b[p] === BACKSLASH) {
          escaped = 1;
          p++;
        }
        p++;
      }
      if (p >= end) throw new SyntaxProblem(`RFC 5424: STRUCTURED-DATA: value of ${utf8Text(b, nameStart, nameEnd)} in [${utf8Text(b, idStart, idEnd)}] not closed with '"'`);
      const q = tk.n;
      a = tk.reserve(PARAM_INTS);
      a[q] = nameStart;
      a[q + 1] = nameEnd;
      a[q + 2] = valueStart;
      a[q + 3] = p;
      a[q + 4] = escaped;
      tk.n = q + PARAM_INTS;
      params++;
      p++;
      if (p < end && b[p] !== SP && b[p] !== RBRACKET) {
        throw new SyntaxProblem(
          `RFC 5424: STRUCTURED-DATA: space or ] expected after ${utf8Text(b, nameStart, nameEnd)}="..." in [${utf8Text(b, idStart, idEnd)}], got ${describeAt(b, p, end)}`,
        );
      }
    }
    if (p >= end || b[p] !== RBRACKET) throw new SyntaxProblem(`RFC 5424: STRUCTURED-DATA: element [${utf8Text(b, idStart, idEnd)}] not closed with ]`);
    tk.a[e + 2] = params;
    elements++;
    p++;
  }
  tk.a[o + ELEMENTS] = elements;
  return p;
}
