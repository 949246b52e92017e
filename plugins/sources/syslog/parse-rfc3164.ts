/**
 * RFC 3164 (BSD syslog) in the forms seen in the wild, read from bytes. Pure.
 *
 *   [<PRI>][seq: ][*|.]STAMP[:] [HOSTNAME ]TAG[[PID]][:] MSG
 *
 * - STAMP: BSD (`Oct 11 22:14:15`, with year, milliseconds, a `UTC` suffix) or ISO
 *   (`2003-10-11T22:14:15.003+02:00`, as rsyslog forwards it).
 * - HOSTNAME optional: a first word that is a tag (`su:`, `sshd[42]:`) means there is none.
 * - TAG with or without `[pid]`; one space after `tag:` is not part of the message, and
 *   `tag[pid]:message` (no space) is a tag too.
 * - No STAMP after PRI: the rest is the message (RFC 3164 4.3.2).
 * - Cisco IOS: a sequence number before the stamp (`<189>36: *Mar  1 00:12:45.123: ...`).
 */
import type { LiveEventInput } from "../../../core/index.js";
import { SyslogFields, syslogEvent, setMessage, setPri, stampText, type ParseContext, type Text, type SyslogData } from "./pri.js";
import { looksIso, readBsdStamp, readIsoStamp, type StampResult } from "./stamps.js";

// Byte constants are local, not imported: V8 re-reads an imported binding on every use,
// which makes the byte loops of this file a quarter slower.
const SP = 0x20;
const COLON = 0x3a;
const isDigit = (c: number): boolean => c >= 0x30 && c <= 0x39;
const LBRACKET = 0x5b;
const RBRACKET = 0x5d;
/** Longer first words are not tags (RFC 3164 says 32; daemons like postfix/submission/smtpd run longer). */
const MAX_TAG = 128;

/**
 * Parses from p (after PRI, or the start when `pri` is -1). Returns undefined when there is
 * neither PRI nor a stamp: that is not syslog (CONTRACT 1: `syslog.unparsed`).
 */
export function parseRfc3164(t: Text, p: number, pri: number, ctx: ParseContext): LiveEventInput | undefined {
  const { b, end } = t;
  const data = new SyslogFields();
  if (pri >= 0) setPri(data, pri);
  const st: StampResult = { next: p, ms: Number.NaN };
  const found = readStamp(b, p, end, pri >= 0, ctx, st);
  if (!found) {
    if (pri < 0) return undefined;
    // A PRI followed by no header: the rest is the message.
    setMessage(data, t, p);
    if (ctx.remoteIp !== undefined) data.remoteIp = ctx.remoteIp;
    return syslogEvent("syslog.message", undefined, data);
  }
  p = st.next;
  while (p < end && b[p] === SP) p++;
  if (p < end) p = readHeader(t, p, data);
  if (p < end) setMessage(data, t, p);
  if (ctx.remoteIp !== undefined) data.remoteIp = ctx.remoteIp;
  const createdAt = Number.isNaN(st.ms) ? undefined : stampText(st.ms, ctx);
  return syslogEvent("syslog.message", createdAt, data);
}

/** A stamp at p, after an optional Cisco sequence number and clock-sync mark; it must end at SP or the end. */
function readStamp(b: Buffer, p: number, end: number, hasPri: boolean, ctx: ParseContext, st: StampResult): boolean {
  if (tryStamp(b, p, end, ctx, st)) return true;
  if (!hasPri || !isDigit(b[p])) return false;
  let q = p;
  while (q < end && q - p < 10 && isDigit(b[q])) q++;
  if (b[q] !== COLON || b[q + 1] !== SP) return false;
  return tryStamp(b, q + 2, end, ctx, st);
}

function tryStamp(b: Buffer, p: number, end: number, ctx: ParseContext, st: StampResult): boolean {
  if (b[p] === 0x2a || b[p] === 0x2e) p++; // Cisco: * clock not synchronised, . lost sync
  const ok = looksIso(b, p, end) ? readIsoStamp(b, p, end, ctx.zone, st) : readBsdStamp(b, p, end, ctx.zone, ctx.now, st);
  return ok && (st.next === end || b[st.next] === SP);
}

/** HOSTNAME and TAG from p; returns where the message starts. */
function readHeader(t: Text, p: number, data: SyslogData): number {
  const { b, end } = t;
  let q = wordEnd(b, p, end);
  let next = readTag(t, p, q, data);
  if (next >= 0) return next;
  data.hostname = t.get(p, q);
  if (q >= end) return end;
  p = q + 1;
  while (p < end && b[p] === SP) p++;
  // Cisco ASA with `logging device-id`: "asa01 : %ASA-6-302013: ..."
  if (b[p] === COLON && b[p + 1] === SP) p += 2;
  q = wordEnd(b, p, end);
  next = readTag(t, p, q, data);
  return next >= 0 ? next : p;
}

function wordEnd(b: Buffer, p: number, end: number): number {
  while (p < end && b[p] !== SP) p++;
  return p;
}

/**
 * `tag:`, `tag[pid]:` or `tag[pid]` as the word b[p, q) (or `tag[pid]:` starting it, the
 * message glued on): sets appName (and procId) and returns where the message starts (one
 * space after the tag skipped), or -1 when the word is not a tag. A name with `:` inside is not a tag (an IPv6 hostname such as `fe80::1`).
 */
function readTag(t: Text, p: number, q: number, data: SyslogData): number {
  const { b, end } = t;
  // `tag[pid]:message`, no space after the colon: the tag ends at the colon, inside the word.
  for (let r = p; r < q - 2; r++) {
    if (b[r] === RBRACKET && b[r + 1] === COLON) {
      q = r + 2;
      break;
    }
  }
  let inner = q;
  if (b[inner - 1] === COLON) inner--;
  const colon = inner < q;
  let nameEnd = inner;
  let pidStart = -1;
  if (b[inner - 1] === RBRACKET) {
    let r = p;
    while (r < inner && b[r] !== LBRACKET) r++;
    if (r > p && r < inner - 2) {
      nameEnd = r;
      pidStart = r + 1;
    }
  } else if (!colon) return -1;
  if (nameEnd === p || nameEnd - p > MAX_TAG) return -1;
  for (let r = p; r < nameEnd; r++) {
    const c = b[r];
    if (c === COLON || c === LBRACKET || c === RBRACKET) return -1;
  }
  data.appName = t.get(p, nameEnd);
  if (pidStart >= 0) data.procId = t.get(pidStart, inner - 1);
  return q < end && b[q] === SP ? q + 1 : q;
}
