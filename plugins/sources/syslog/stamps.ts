/**
 * Timestamps as syslog senders write them, read straight from the bytes. Pure.
 * - ISO (RFC 5424 TIMESTAMP, RFC 3339, rsyslog's high-precision 3164): fractions of any
 *   length (truncated to ms), `Z` or `+HH:MM` (also `+HHMM`), or no offset (then `zone`).
 * - BSD (RFC 3164): `Mmm dd hh:mm:ss`, plus what network gear adds: a year
 *   (`May 21 2008 10:50:11`), milliseconds, a `UTC` suffix, a `*`/`.` clock-sync mark.
 */
import { wallMs, yearOf, zonedToUtc, type Zone } from "./time.js";

// Byte constants are local, not imported: V8 re-reads an imported binding on every use,
// which makes the digit checks of this file a quarter slower.
const isDigit = (c: number): boolean => c >= 0x30 && c <= 0x39;

/** Where a stamp ended, and its instant (NaN when the fields are out of range). */
export interface StampResult {
  next: number;
  ms: number;
}

const d2 = (b: Buffer, p: number): number => (b[p] - 0x30) * 10 + (b[p + 1] - 0x30);
const isD2 = (b: Buffer, p: number): boolean => isDigit(b[p]) && isDigit(b[p + 1]);

/** Reads fraction digits at p (after the dot): returns ms in `out.ms`-ready form and the end. */
function fraction(b: Buffer, p: number, end: number, out: StampResult): number {
  let ms = 0;
  let n = 0;
  while (p < end && isDigit(b[p])) {
    if (n < 3) ms = ms * 10 + (b[p] - 0x30);
    n++;
    p++;
  }
  if (n === 0) return -1;
  while (n < 3) {
    ms *= 10;
    n++;
  }
  out.ms = ms;
  return p;
}

/** True when b[p..] starts like an ISO date: `dddd-`. */
export function looksIso(b: Buffer, p: number, end: number): boolean {
  return end - p >= 5 && isDigit(b[p]) && isDigit(b[p + 1]) && isDigit(b[p + 2]) && isDigit(b[p + 3]) && b[p + 4] === 0x2d;
}

/**
 * An ISO 8601 / RFC 3339 stamp at p. Returns false when the bytes are not one; `out.ms` is
 * NaN when they are one with out-of-range fields (month 13, Feb 30...).
 */
export function readIsoStamp(b: Buffer, p: number, end: number, zone: Zone, out: StampResult): boolean {
  // YYYY-MM-DDThh:mm:ss is 19 bytes.
  if (end - p < 19 || !looksIso(b, p, end) || !isD2(b, p + 5) || b[p + 7] !== 0x2d || !isD2(b, p + 8)) return false;
  const t = b[p + 10];
  if (t !== 0x54 && t !== 0x74) return false;
  if (!isD2(b, p + 11) || b[p + 13] !== 0x3a || !isD2(b, p + 14) || b[p + 16] !== 0x3a || !isD2(b, p + 17)) return false;
  const year = d2(b, p) * 100 + d2(b, p + 2);
  const wall0 = wallMs(year, d2(b, p + 5), d2(b, p + 8), d2(b, p + 11), d2(b, p + 14), d2(b, p + 17), 0);
  let q = p + 19;
  let ms = 0;
  if (q < end && b[q] === 0x2e) {
    q = fraction(b, q + 1, end, out);
    if (q < 0) return false;
    ms = out.ms;
  }
  let offset: number | undefined;
  if (q < end) {
    const c = b[q];
    if (c === 0x5a || c === 0x7a) {
      offset = 0;
      q++;
    } else if ((c === 0x2b || c === 0x2d) && end - q >= 5 && isD2(b, q + 1)) {
      const h = d2(b, q + 1);
      let r = q + 3;
      if (b[r] === 0x3a) r++;
      if (!isD2(b, r)) return false;
      const m = d2(b, r);
      if (h > 23 || m > 59) {
        out.ms = Number.NaN;
        out.next = r + 2;
        return true;
      }
      offset = (c === 0x2d ? -1 : 1) * (h * 60 + m) * 60_000;
      q = r + 2;
    }
  }
  const wall = wall0 + ms;
  out.ms = offset === undefined ? zonedToUtc(wall, zone) : wall - offset;
  out.next = q;
  return true;
}

/** Month 1-12 from three letters, any case; 0 when it is not a month. */
function month(b: Buffer, p: number): number {
  const k = ((b[p] | 0x20) << 16) | ((b[p + 1] | 0x20) << 8) | (b[p + 2] | 0x20);
  switch (k) {
    case 0x6a616e: return 1; // jan
    case 0x666562: return 2; // feb
    case 0x6d6172: return 3; // mar
    case 0x617072: return 4; // apr
    case 0x6d6179: return 5; // may
    case 0x6a756e: return 6; // jun
    case 0x6a756c: return 7; // jul
    case 0x617567: return 8; // aug
    case 0x736570: return 9; // sep
    case 0x6f6374: return 10; // oct
    case 0x6e6f76: return 11; // nov
    case 0x646563: return 12; // dec
    default: return 0;
  }
}

const DAY_MS = 86_400_000;

/**
 * A BSD stamp at p (`Oct 11 22:14:15`, `Oct  1 22:14:15.123`, `May 21 2008 10:50:11`,
 * `Mar  1 00:12:45.123 UTC`). A trailing `:` (Cisco) is consumed. Without a year: the current
 * year in `zone`, or the previous one when that would be more than a day in the future.
 */
export function readBsdStamp(b: Buffer, p: number, end: number, zone: Zone, now: () => number, out: StampResult): boolean {
  if (end - p < 14) return false;
  const mo = month(b, p);
  if (mo === 0 || b[p + 3] !== 0x20) return false;
  let q = p + 4;
  if (b[q] === 0x20) q++; // "Oct  1": day padded with a space
  if (!isDigit(b[q])) return false;
  let day = b[q++] - 0x30;
  if (isDigit(b[q])) day = day * 10 + (b[q++] - 0x30);
  if (b[q++] !== 0x20) return false;
  let year = -1;
  // "May 21 2008 10:50:11" (Cisco/ASA with `logging timestamp ... year`)
  if (end - q >= 5 && isDigit(b[q]) && isDigit(b[q + 1]) && isDigit(b[q + 2]) && isDigit(b[q + 3]) && b[q + 4] === 0x20) {
    year = d2(b, q) * 100 + d2(b, q + 2);
    q += 5;
  }
  if (end - q < 8 || !isD2(b, q) || b[q + 2] !== 0x3a || !isD2(b, q + 3) || b[q + 5] !== 0x3a || !isD2(b, q + 6)) return false;
  const h = d2(b, q);
  const mi = d2(b, q + 3);
  const s = d2(b, q + 6);
  q += 8;
  let ms = 0;
  if (q < end && b[q] === 0x2e) {
    q = fraction(b, q + 1, end, out);
    if (q < 0) return false;
    ms = out.ms;
  }
  let utc = false;
  // A " UTC" / " GMT" suffix, or Cisco's "show-timezone" (" CET: %SYS-5-..."); an uppercase
  // word before any other colon is a tag ("CRON: ..."), not a zone.
  if (end - q >= 4 && b[q] === 0x20 && isUpper(b[q + 1])) {
    let r = q + 1;
    while (r < end && r - q <= 6 && isUpper(b[r])) r++;
    const len = r - q - 1;
    const word = len === 3 ? (b[q + 1] << 16) | (b[q + 2] << 8) | b[q + 3] : 0;
    const universal = len === 3 && (word === 0x555443 || word === 0x474d54); // UTC, GMT
    const cisco = b[r] === 0x3a && b[r + 1] === 0x20 && b[r + 2] === 0x25;
    if (len >= 3 && len <= 5 && (cisco || (universal && (r === end || b[r] === 0x20 || b[r] === 0x3a)))) {
      utc = universal;
      q = r;
    }
  }
  if (q < end && b[q] === 0x3a) q++;
  out.next = q;
  const at = (y: number): number => {
    const wall = wallMs(y, mo, day, h, mi, s, ms);
    return utc ? wall : zonedToUtc(wall, zone);
  };
  if (year >= 0) {
    out.ms = at(year);
    return true;
  }
  const nowMs = now();
  const thisYear = yearOf(nowMs + (utc ? 0 : zone.offsetAt(nowMs)));
  let t = at(thisYear);
  // Feb 29 outside a leap year is NaN in both years: the stamp is then not used.
  if (Number.isNaN(t) || t > nowMs + DAY_MS) t = at(thisYear - 1);
  out.ms = t;
  return true;
}

const isUpper = (c: number): boolean => c >= 0x41 && c <= 0x5a;
