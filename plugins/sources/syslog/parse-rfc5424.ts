/**
 * RFC 5424 (The Syslog Protocol), the second of two steps: the event built from the offsets
 * scan-rfc5424.ts found. Both steps run here for a message parsed on one thread; a tcp/tls
 * source's receive thread scans and the main thread only builds. Pure.
 */
import type { LiveEventInput } from "../../../core/index.js";
import { SyslogFields, syslogEvent, setOwn, setPri, stampText, type ParseContext, type Text, type StructuredData } from "./pri.js";
import type { NameCache } from "./names.js";
import { ELEMENT_INTS as ELEMENT_INTS_, PARAM_INTS as PARAM_INTS_, REC, scanRfc5424, SyntaxProblem, Tokens } from "./scan-rfc5424.js";

// The record's layout as local constants: V8 re-reads an imported binding on every use.
const { PRI, VERSION, STAMP_AT, FIELDS, MESSAGE, ELEMENTS, FIXED } = REC;
const HOST = FIELDS;
const APP = FIELDS + 2;
const PROC = FIELDS + 4;
const MSGID = FIELDS + 6;
const ELEMENT_INTS = ELEMENT_INTS_;
const PARAM_INTS = PARAM_INTS_;
const BACKSLASH = 0x5c;
const QUOTE = 0x22;
const RBRACKET = 0x5d;

/** The records of messages parsed on this thread: one at a time, so one set of arrays. */
const HERE = new Tokens();

/**
 * Parses the part after PRI (at p) of an RFC 5424 message. Returns the event, or a parse
 * error message for `syslog.unparsed`.
 */
export function parseRfc5424(t: Text, p: number, pri: number, ctx: ParseContext): LiveEventInput | string {
  HERE.reset();
  try {
    scanRfc5424(t.b, t.start, p, t.end, pri, ctx.zone, HERE);
  } catch (e) {
    if (e instanceof SyntaxProblem) return e.message;
    throw e;
  }
  return buildRfc5424(t, HERE.a, 0, HERE.ms, ctx);
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
      if (fresh > 0 && fresh <= MAX_FRESH_NAMES && !seenIn(FRESH_NAMES, fresh - 1, paramName)) {
        setOwn(params, paramName, value);
        FRESH_NAMES[fresh++ - 1] = paramName;
      } else {
        addParam(params, paramName, value);
        fresh = 0; // past the list, or a repeated name: the rest take the general way
      }
    }
  }
}

/** The names set so far in the element being built (first `n` entries). */
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
