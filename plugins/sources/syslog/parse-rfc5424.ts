/**
 * RFC 5424 (The Syslog Protocol) to events, two ways over one set of helpers:
 * - parseRfc5424: bytes to event in one pass, on the thread that parses (the main thread,
 *   for udp and for tcp/tls without `threaded`);
 * - buildRfc5424: the event from the offsets scan-rfc5424.ts found, for a `threaded` source
 *   whose receive thread scanned it.
 * The grammar is walked by parse() here and by the scan there: one pass each is what keeps the
 * single-thread path as fast as it was (a scan-then-build there cost 8% of the headline's
 * CPU); a property test (rfc5424.test.ts) holds the two to the same events for any input.
 * Strict where a mistake would put data under the wrong key (STRUCTURED-DATA syntax, the
 * TIMESTAMP), lenient where peers are (rsyslog, Vector's syslog_loose). Pure.
 */
import type { LiveEventInput } from "../../../core/index.js";
import { SyslogFields, syslogEvent, setMessage, setOwn, setPri, stampText, type ParseContext, type Text, type StructuredData } from "./pri.js";
import type { NameCache } from "./names.js";
import { describeAt, ELEMENT_INTS as ELEMENT_INTS_, PARAM_INTS as PARAM_INTS_, REC, SyntaxProblem } from "./scan-rfc5424.js";
import { readIsoStamp, type StampResult } from "./stamps.js";

// Byte constants and the record's layout as local constants: V8 re-reads an imported binding
// on every use, which makes the byte loops of this file a quarter slower.
const SP = 0x20;
const DASH = 0x2d;
const LBRACKET = 0x5b;
const RBRACKET = 0x5d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const EQUALS = 0x3d;
const { PRI, VERSION, STAMP_AT, FIELDS, MESSAGE, ELEMENTS, FIXED } = REC;
const HOST = FIELDS;
const APP = FIELDS + 2;
const PROC = FIELDS + 4;
const MSGID = FIELDS + 6;
const ELEMENT_INTS = ELEMENT_INTS_;
const PARAM_INTS = PARAM_INTS_;

/** Where readIsoStamp leaves its result: one object for every message (parsing is synchronous). */
const STAMP: StampResult = { next: 0, ms: 0 };

/**
 * Parses the part after PRI (at p) of an RFC 5424 message. Returns the event, or a parse
 * error message for `syslog.unparsed`.
 */
export function parseRfc5424(t: Text, p: number, pri: number, ctx: ParseContext): LiveEventInput | string {
  try {
    return parse(t, p, pri, ctx);
  } catch (e) {
    if (e instanceof SyntaxProblem) return e.message;
    throw e;
  }
}

function parse(t: Text, p: number, pri: number, ctx: ParseContext): LiveEventInput {
  const { b, end } = t;
  const data = new SyslogFields();
  if (pri >= 0) setPri(data, pri);
  let version = 0;
  while (b[p] !== SP) version = version * 10 + (b[p++] - 0x30);
  data.version = version;
  p++;

  let createdAt: string | undefined;
  if (b[p] === DASH) p++;
  else {
    const st = STAMP;
    st.next = p;
    st.ms = 0;
    if (!readIsoStamp(b, p, end, ctx.zone, st)) throw new SyntaxProblem(`RFC 5424: TIMESTAMP is not RFC 3339 (${describeAt(b, p, end)})`);
    if (Number.isNaN(st.ms)) throw new SyntaxProblem(`RFC 5424: TIMESTAMP "${t.get(p, st.next)}" is out of range`);
    if (st.next < end && b[st.next] !== SP) throw new SyntaxProblem(`RFC 5424: TIMESTAMP ends in ${describeAt(b, st.next, end)}`);
    createdAt = stampText(st.ms, ctx);
    p = st.next;
  }

  // HOSTNAME, APP-NAME, PROCID, MSGID: tokens up to SP; `-` (NILVALUE) and empty are absent.
  for (let field = 0; field < 4 && p < end; field++) {
    p++; // the SP before the field
    let q = p;
    while (q < end && b[q] !== SP) q++;
    if (q > p && !(q === p + 1 && b[p] === DASH)) {
      const value = t.get(p, q);
      if (field === 0) data.hostname = value;
      else if (field === 1) data.appName = value;
      else if (field === 2) data.procId = value;
      else data.msgId = value;
    }
    p = q;
  }

  if (p < end) {
    p++; // SP before STRUCTURED-DATA
    if (b[p] === DASH && (p + 1 === end || b[p + 1] === SP)) p++;
    else if (b[p] === LBRACKET) {
      const sd: StructuredData = {};
      p = readElements(t, p, sd, ctx.names);
      data.structuredData = sd;
    }
    // Anything else: a sender that left out STRUCTURED-DATA; the rest is MSG.
    else p--;
    if (p < end && b[p] === SP) p++;
    if (p < end) setMessage(data, t, p);
  }
  if (ctx.remoteIp !== undefined) data.remoteIp = ctx.remoteIp;
  return syslogEvent("syslog.message", createdAt, data);
}

/** SD-ELEMENTs from p (at `[`) until a byte that is not `[`; returns the position after the last `]`. */
function readElements(t: Text, p: number, sd: StructuredData, names: NameCache | undefined): number {
  const { b, end } = t;
  let elements = 0;
  while (p < end && b[p] === LBRACKET) {
    const idStart = ++p;
    while (p < end && b[p] !== SP && b[p] !== RBRACKET && b[p] !== EQUALS && b[p] !== QUOTE) p++;
    if (p === idStart) throw new SyntaxProblem(`RFC 5424: STRUCTURED-DATA: SD-ID expected, got ${describeAt(b, p, end)}`);
    if (p >= end) throw new SyntaxProblem("RFC 5424: STRUCTURED-DATA: element not closed with ]");
    if (b[p] !== SP && b[p] !== RBRACKET) throw new SyntaxProblem(`RFC 5424: STRUCTURED-DATA: invalid SD-ID (${describeAt(b, p, end)})`);
    const id = nameAt(t, idStart, p, names);
    // The RFC forbids a repeated SD-ID; merging keeps every value of a sender that does it.
    let params = elements++ > 0 && Object.hasOwn(sd, id) ? sd[id] : undefined;
    // A fresh element's names are remembered here (NameCache hands back the same string for
    // the same bytes, so the compare is mostly a pointer check): a name not yet in it is set
    // without addParam's lookups, which walk the prototype chain for every new key.
    let fresh = 0;
    if (params === undefined) {
      params = {};
      setOwn(sd, id, params);
      fresh = 1;
    }
    while (b[p] === SP) {
      while (b[p] === SP) p++; // lenient: extra spaces between params
      if (b[p] === RBRACKET) break;
      const nameStart = p;
      while (p < end && b[p] !== EQUALS && b[p] !== SP && b[p] !== RBRACKET && b[p] !== QUOTE) p++;
      if (p === nameStart || b[p] !== EQUALS) {
        throw new SyntaxProblem(`RFC 5424: STRUCTURED-DATA: PARAM-NAME "=" expected in [${id}], got ${describeAt(b, p, end)}`);
      }
      const paramName = nameAt(t, nameStart, p, names);
      p++;
      if (b[p] !== QUOTE) throw new SyntaxProblem(`RFC 5424: STRUCTURED-DATA: '"' expected after ${paramName}= in [${id}], got ${describeAt(b, p, end)}`);
      const valueStart = ++p;
      let escapes = false;
      while (p < end && b[p] !== QUOTE) {
        if (b[p] === BACKSLASH) {
          escapes = true;
          p++;
        }
        p++;
      }
      if (p >= end) throw new SyntaxProblem(`RFC 5424: STRUCTURED-DATA: value of ${paramName} in [${id}] not closed with '"'`);
      const value = escapes ? unescape(t, valueStart, p) : t.get(valueStart, p);
      p++;
      fresh = setParam(params, paramName, value, fresh);
      if (p < end && b[p] !== SP && b[p] !== RBRACKET) {
        throw new SyntaxProblem(`RFC 5424: STRUCTURED-DATA: space or ] expected after ${paramName}="..." in [${id}], got ${describeAt(b, p, end)}`);
      }
    }
    if (p >= end || b[p] !== RBRACKET) throw new SyntaxProblem(`RFC 5424: STRUCTURED-DATA: element [${id}] not closed with ]`);
    p++;
  }
  return p;
}

/**
 * The event of the message whose record starts at a[o] (`t` holds its bytes: t.start and
 * t.end are the record's START and END). `ms` holds the record's instants.
 */
export function buildRfc5424(t: Text, a: Int32Array, o: number, ms: Float64Array, ctx: ParseContext): LiveEventInput {
  const data = new SyslogFields();
  setPri(data, a[o + PRI]);
  data.version = a[o + VERSION];
  const stamp = a[o + STAMP_AT];
  const createdAt = stamp >= 0 ? stampText(ms[stamp], ctx) : undefined;
  if (a[o + HOST] >= 0) data.hostname = t.get(a[o + HOST], a[o + HOST + 1]);
  if (a[o + APP] >= 0) data.appName = t.get(a[o + APP], a[o + APP + 1]);
  if (a[o + PROC] >= 0) data.procId = t.get(a[o + PROC], a[o + PROC + 1]);
  if (a[o + MSGID] >= 0) data.msgId = t.get(a[o + MSGID], a[o + MSGID + 1]);
  const elements = a[o + ELEMENTS];
  if (elements >= 0) {
    const sd: StructuredData = {};
    buildElements(t, a, o + FIXED, elements, sd, ctx.names);
    data.structuredData = sd;
  }
  if (a[o + MESSAGE] >= 0) data.message = t.tail(a[o + MESSAGE]);
  if (ctx.remoteIp !== undefined) data.remoteIp = ctx.remoteIp;
  return syslogEvent("syslog.message", createdAt, data);
}

/** `count` SD-ELEMENTs whose entries start at a[q], into `sd`. */
function buildElements(t: Text, a: Int32Array, q: number, count: number, sd: StructuredData, names: NameCache | undefined): void {
  for (let element = 0; element < count; element++) {
    const id = nameAt(t, a[q], a[q + 1], names);
    const n = a[q + 2];
    q += ELEMENT_INTS;
    // The RFC forbids a repeated SD-ID; merging keeps every value of a sender that does it.
    let params = element > 0 && Object.hasOwn(sd, id) ? sd[id] : undefined;
    // A fresh element's names are remembered here (NameCache hands back the same string for
    // the same bytes, so the compare is mostly a pointer check): a name not yet in it is set
    // without addParam's lookups, which walk the prototype chain for every new key.
    let fresh = 0;
    if (params === undefined) {
      params = {};
      setOwn(sd, id, params);
      fresh = 1;
    }
    for (let k = 0; k < n; k++, q += PARAM_INTS) {
      const paramName = nameAt(t, a[q], a[q + 1], names);
      const value = a[q + 4] === 1 ? unescape(t, a[q + 2], a[q + 3]) : t.get(a[q + 2], a[q + 3]);
      fresh = setParam(params, paramName, value, fresh);
    }
  }
}

/**
 * Sets one param of an element. `fresh` > 0: the element is new and its first fresh - 1
 * names are in FRESH_NAMES, so a name not among them is set without addParam's lookups.
 * Returns the next `fresh` (0 once past the list or after a repeated name: the rest of the
 * element takes the general way).
 */
function setParam(params: Record<string, string | string[]>, name: string, value: string, fresh: number): number {
  if (fresh > 0 && fresh <= MAX_FRESH_NAMES && !seenIn(FRESH_NAMES, fresh - 1, name)) {
    setOwn(params, name, value);
    FRESH_NAMES[fresh - 1] = name;
    return fresh + 1;
  }
  addParam(params, name, value);
  return 0;
}

/** The names set so far in the element being read or built (first `n` entries). */
const MAX_FRESH_NAMES = 8;
const FRESH_NAMES: string[] = new Array<string>(MAX_FRESH_NAMES).fill("");
function seenIn(names: string[], n: number, name: string): boolean {
  for (let i = 0; i < n; i++) if (names[i] === name) return true;
  return false;
}

function nameAt(t: Text, from: number, to: number, names: NameCache | undefined): string {
  return names ? names.get(t, from, to) : t.get(from, to);
}

/** A param repeated within one element becomes an array of its values (CONTRACT 1). */
function addParam(params: Record<string, string | string[]>, name: string, value: string): void {
  let prev: string | string[] | undefined = params[name];
  // Only a name that is found needs the own-property check ("constructor", "toString"...).
  if (prev !== undefined && !Object.hasOwn(params, name)) prev = undefined;
  if (prev === undefined) setOwn(params, name, value);
  else if (typeof prev === "string") params[name] = [prev, value];
  else prev.push(value);
}

/** PARAM-VALUE with `\"`, `\\` and `\]` resolved; any other backslash stays (RFC 5424 6.3.3). */
function unescape(t: Text, start: number, end: number): string {
  const b = t.b;
  let out = "";
  let from = start;
  for (let p = start; p < end; p++) {
    if (b[p] !== BACKSLASH || p + 1 >= end) continue;
    const next = b[p + 1];
    if (next === QUOTE || next === BACKSLASH || next === RBRACKET) {
      out += t.get(from, p);
      from = p + 1;
      p++; // the escaped byte is kept as it is
    }
  }
  return out + t.get(from, end);
}
