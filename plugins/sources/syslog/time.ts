/**
 * Calendar arithmetic and time zones for syslog stamps, without Date's quirks (Date.UTC maps
 * years 0-99 to 1900-1999) and without allocating on the hot path.
 */

/** Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil). */
export function daysFromCivil(y: number, m: number, d: number): number {
  y -= m <= 2 ? 1 : 0;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

export function isLeapYear(y: number): boolean {
  return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
}

const MONTH_DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
export function daysInMonth(y: number, m: number): number {
  return m === 2 && isLeapYear(y) ? 29 : MONTH_DAYS[m - 1];
}

/** Milliseconds since the epoch of a wall-clock time read as UTC; NaN when a field is out of range. */
export function wallMs(y: number, mo: number, d: number, h: number, mi: number, s: number, ms: number): number {
  if (mo < 1 || mo > 12 || d < 1 || d > daysInMonth(y, mo) || h > 23 || mi > 59 || s > 59) return Number.NaN;
  return ((daysFromCivil(y, mo, d) * 24 + h) * 60 + mi) * 60_000 + s * 1000 + ms;
}

/** The Gregorian year of an epoch-ms instant. */
export function yearOf(ms: number): number {
  return new Date(ms).getUTCFullYear();
}

// Years 0000-9999: what `toISOString` prints as RFC 3339.
const MIN_MS = -62_167_219_200_000;
const MAX_MS = 253_402_300_799_999;

/** RFC 3339 UTC with milliseconds (the contract's createdAt), or undefined outside years 0000-9999. */
export function isoString(ms: number): string | undefined {
  return ms >= MIN_MS && ms <= MAX_MS ? new Date(ms).toISOString() : undefined;
}

const MS_SUFFIX = Array.from({ length: 1000 }, (_, i) => `.${String(i).padStart(3, "0")}Z`);

/**
 * `isoString` for a stream of nearby instants. The text of each millisecond is made once and
 * handed out again to every stamp of that millisecond: one string object, which core's check of
 * createdAt flattens once instead of once per event (a concatenated string is a rope until
 * something reads its characters). Two seconds are kept, by parity, so a burst that straddles a
 * second boundary does not rebuild them. Memory: 2000 strings of 24 characters.
 */
export class IsoClock {
  private readonly prefixes = ["", ""];
  private readonly seconds = [Number.NaN, Number.NaN];
  /** The text of slot (second parity) * 1000 + ms, valid while owners[slot] is that second. */
  private readonly texts: string[] = new Array<string>(2000).fill("");
  private readonly owners = new Float64Array(2000).fill(Number.NaN);

  format(ms: number): string | undefined {
    if (!(ms >= MIN_MS && ms <= MAX_MS)) return undefined;
    const second = Math.floor(ms / 1000);
    const parity = second & 1; // int32 wrap keeps the low bit
    if (second !== this.seconds[parity]) {
      this.seconds[parity] = second;
      this.prefixes[parity] = new Date(second * 1000).toISOString().slice(0, 19);
    }
    const inSecond = ms - second * 1000;
    const slot = parity * 1000 + inSecond;
    if (this.owners[slot] === second) return this.texts[slot];
    const text = this.prefixes[parity] + MS_SUFFIX[inSecond];
    this.owners[slot] = second;
    this.texts[slot] = text;
    return text;
  }
}

/** Where stamps without an offset are read: a fixed offset or an IANA zone (with DST). */
export interface Zone {
  readonly name: string;
  /** Offset east of UTC, in ms, in force at the instant `utcMs`. */
  offsetAt(utcMs: number): number;
}

/** The instant of a wall-clock time (as `wallMs` gives it) in `zone`; at a DST gap or overlap, the later offset wins. */
export function zonedToUtc(wall: number, zone: Zone): number {
  const first = zone.offsetAt(wall);
  const second = zone.offsetAt(wall - first);
  return wall - second;
}

const FIXED_OFFSET = /^([+-])(\d\d):?(\d\d)$/;

export const UTC: Zone = { name: "UTC", offsetAt: () => 0 };

/**
 * `UTC`, `Z`, `+HH:MM` / `-HH:MM` (or `+HHMM`), or an IANA name such as `Europe/Paris`.
 * Returns a message when it is none of these. Each IANA zone keeps its own small offset cache
 * (offsets only change at transitions, so one lookup per quarter hour of stamps is enough).
 */
export function parseZone(spec: string): Zone | string {
  if (spec === "UTC" || spec === "Z" || spec === "Etc/UTC") return UTC;
  const fixed = FIXED_OFFSET.exec(spec);
  if (fixed) {
    const h = Number(fixed[2]);
    const m = Number(fixed[3]);
    if (h > 23 || m > 59) return `"${spec}" is not an offset (hours 00-23, minutes 00-59)`;
    const offset = (fixed[1] === "-" ? -1 : 1) * (h * 60 + m) * 60_000;
    return { name: spec, offsetAt: () => offset };
  }
  let format: Intl.DateTimeFormat;
  try {
    format = new Intl.DateTimeFormat("en-US", {
      timeZone: spec,
      hourCycle: "h23",
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
      minute: "numeric",
      second: "numeric",
      era: "short",
    });
  } catch {
    return `"${spec}" is not a time zone (an IANA name such as "Europe/Paris", or "+HH:MM")`;
  }
  const cache = new Map<number, number>();
  const QUARTER_HOUR = 900_000;
  return {
    name: format.resolvedOptions().timeZone,
    offsetAt(utcMs: number): number {
      const key = Math.floor(utcMs / QUARTER_HOUR);
      const hit = cache.get(key);
      if (hit !== undefined) return hit;
      const at = key * QUARTER_HOUR;
      const parts: Record<string, string> = {};
      for (const p of format.formatToParts(at)) parts[p.type] = p.value;
      let year = Number(parts.year);
      if (parts.era === "BC" || parts.era === "B") year = 1 - year;
      const wall = wallMs(year, Number(parts.month), Number(parts.day), Number(parts.hour), Number(parts.minute), Number(parts.second), 0);
      const offset = Number.isNaN(wall) ? 0 : wall - at;
      if (cache.size >= 512) cache.clear();
      cache.set(key, offset);
      return offset;
    },
  };
}
