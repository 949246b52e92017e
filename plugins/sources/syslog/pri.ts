/**
 * What both syslog formats share: PRI names, the event shapes (CONTRACT 1 "Syslog events")
 * and byte-level helpers. Pure.
 */
import type { LiveEventInput } from "../../../core/index.js";
import { plainObjectClass, utf8Text } from "../../../core/kit.js";
import type { NameCache } from "./names.js";
import { skipBom } from "./scan-rfc5424.js";
import { isoString, type IsoClock, type Zone } from "./time.js";

/** Facility names by code, exactly as CONTRACT 1 lists them. */
export const FACILITIES = [
  "kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news",
  "uucp", "cron", "authpriv", "ftp", "ntp", "security", "console", "solaris-cron",
  "local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7",
] as const;
/** Severity names by code. */
export const SEVERITIES = ["emerg", "alert", "crit", "err", "warning", "notice", "info", "debug"] as const;

export type StructuredData = Record<string, Record<string, string | string[]>>;

/** `data` of a `syslog.message` event: each key only when the message has it. */
export interface SyslogData {
  facility?: string;
  severity?: string;
  version?: number;
  hostname?: string;
  appName?: string;
  procId?: string;
  msgId?: string;
  structuredData?: StructuredData;
  message?: string;
  remoteIp?: string;
  truncated?: boolean;
  [key: string]: unknown;
}

/** A new, empty `data` object: a plain object sized to hold every field inline. */
export const SyslogFields = plainObjectClass<SyslogData>();
/** The event of one message, built in the order its keys serialise. */
export const SyslogEvent = plainObjectClass<LiveEventInput>();

/** `{ type, createdAt, data }` (createdAt only when the message has a stamp) in one allocation. */
export function syslogEvent(type: string, createdAt: string | undefined, data: SyslogData | Record<string, unknown>): LiveEventInput {
  const event = new SyslogEvent();
  event.type = type;
  if (createdAt !== undefined) event.createdAt = createdAt;
  event.data = data;
  return event;
}

export interface ParseContext {
  /** The sender's address, copied into every event. */
  remoteIp?: string;
  /** Zone of stamps that carry no offset (RFC 3164). */
  zone: Zone;
  /** The current time in ms, read only for RFC 3164 stamps without a year. */
  now: () => number;
  /** Formats createdAt; an IsoClock reuses the text of the last second. */
  iso?: IsoClock;
  /** Structured-data names seen before, handed back as the same strings (cheaper keys). */
  names?: NameCache;
}

/**
 * The text of one message, decoded once. Header fields are sliced from that one string (no
 * per-field decoder call) wherever byte and character offsets still agree: everywhere when
 * each byte decoded to one character (ASCII, or lone invalid bytes each turned into U+FFFD),
 * else up to the first non-ASCII byte, and for the message after a BOM. Elsewhere a field is
 * decoded on its own. Same result as decoding each field alone, always.
 */
export class Text {
  readonly whole: string;
  /** Bytes before this index decode one character each. */
  private readonly aligned: number;
  constructor(
    readonly b: Buffer,
    readonly start: number,
    readonly end: number,
  ) {
    this.whole = utf8Text(b, start, end);
    if (this.whole.length === end - start) this.aligned = end;
    else {
      let k = start;
      while (k < end && b[k] < 0x80) k++;
      this.aligned = k;
    }
  }

  /** b[from, to) as text. */
  get(from: number, to: number): string {
    if (to <= this.aligned) return this.whole.slice(from - this.start, to - this.start);
    if (to === this.end) return this.tail(from);
    return utf8Text(this.b, from, to);
  }

  /** b[from, end) as text. */
  tail(from: number): string {
    const k = this.aligned;
    if (from <= k) return from === this.start ? this.whole : this.whole.slice(from - this.start);
    // The message after a BOM: the BOM is one character for three bytes.
    if (from === k + 3 && this.b[k] === 0xef && this.b[k + 1] === 0xbb && this.b[k + 2] === 0xbf) return this.whole.slice(k - this.start + 1);
    return utf8Text(this.b, from, this.end);
  }
}

/** Sets a key that came from the input: "__proto__" must stay an own property, not a prototype. */
export function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  if (key === "__proto__") Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  else target[key] = value;
}

export function setPri(data: SyslogData, pri: number): void {
  data.facility = FACILITIES[pri >> 3];
  data.severity = SEVERITIES[pri & 7];
}

/**
 * CONTRACT 1: the raw text of what could not be parsed, why, and who sent it. Never dropped.
 */
export function unparsed(t: Text, parseError: string, ctx: ParseContext, truncated: boolean): LiveEventInput {
  const data: Record<string, unknown> = { message: t.whole, parseError };
  if (ctx.remoteIp !== undefined) data.remoteIp = ctx.remoteIp;
  if (truncated) data.truncated = true;
  return syslogEvent("syslog.unparsed", undefined, data);
}

/** The message text from p to end: BOM removed, absent when empty. */
export function setMessage(data: SyslogData, t: Text, p: number): void {
  p = skipBom(t.b, p, t.end);
  if (p < t.end) data.message = t.tail(p);
}

/** createdAt of a stamp's instant, or undefined outside years 0000-9999. */
export function stampText(ms: number, ctx: ParseContext): string | undefined {
  return ctx.iso ? ctx.iso.format(ms) : isoString(ms);
}
