/**
 * One syslog message (a datagram or a frame) to one event: RFC 5424 when it says so, else
 * RFC 3164 in its wild forms, else `syslog.unparsed`. Pure; never throws on any input.
 */
import type { LiveEventInput } from "../../../core/index.js";
import { Text, unparsed, type ParseContext } from "./pri.js";
import { parseRfc5424 } from "./parse-rfc5424.js";
import { looksRfc5424, PRI_DIGITS, PRI_OVER, PRI_ZERO, priLength, readPri, trimEnd } from "./scan-rfc5424.js";
import { parseRfc3164 } from "./parse-rfc3164.js";

/** The digits of a PRI that readPri found malformed (`<0012>` gives "0012"). */
function priDigits(b: Buffer, p: number, end: number): string {
  let q = p + 1;
  while (q < end && b[q] >= 0x30 && b[q] <= 0x39) q++;
  return b.toString("latin1", p + 1, q);
}

export { FACILITIES, SEVERITIES, type ParseContext, type StructuredData, type SyslogData } from "./pri.js";
export { IsoClock, UTC, parseZone, type Zone } from "./time.js";

/**
 * Parses b[start, end) (default: all of b). `truncated` marks a message cut at maxLength: the
 * event gets `data.truncated: true`.
 */
export function parseSyslog(b: Buffer, ctx: ParseContext, truncated = false, start = 0, end = b.length): LiveEventInput {
  end = trimEnd(b, start, end);
  const t = new Text(b, start, end);
  let p = start;
  const pri = readPri(b, p, end);
  if (pri === PRI_DIGITS) return unparsed(t, "PRI: <1-3 digits> expected at the start", ctx, truncated);
  if (pri === PRI_OVER) return unparsed(t, `PRI: ${priDigits(b, p, end)} is over 191`, ctx, truncated);
  if (pri === PRI_ZERO) return unparsed(t, `PRI: "${priDigits(b, p, end)}" has a leading zero (RFC 5424 6.2.1)`, ctx, truncated);
  if (pri >= 0) p += priLength(pri);
  let event: LiveEventInput | string | undefined;
  if (pri >= 0 && looksRfc5424(b, p, end)) event = parseRfc5424(t, p, pri, ctx);
  else {
    event = parseRfc3164(t, p, pri, ctx);
    if (event === undefined) event = start === end ? "empty message" : "neither PRI nor timestamp at the start (not RFC 5424 or RFC 3164)";
  }
  if (typeof event === "string") return unparsed(t, event, ctx, truncated);
  if (truncated) event.data.truncated = true;
  return event;
}

/** A frame the framing rejected (or cut short), as `syslog.unparsed` with that reason. */
export function unparsedFrame(b: Buffer, parseError: string, ctx: ParseContext, truncated = false, start = 0, end = b.length): LiveEventInput {
  return unparsed(new Text(b, start, trimEnd(b, start, end)), parseError, ctx, truncated);
}
