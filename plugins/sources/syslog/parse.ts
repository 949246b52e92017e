/**
 * One syslog message (a datagram or a frame) to one event: RFC 5424 when it says so, else
 * RFC 3164 in its wild forms, else `syslog.unparsed`. Pure; never throws on any input.
 */
import type { LiveEventInput } from "../../../core/index.js";
import { Text, trimEnd, unparsed, type ParseContext } from "./pri.js";
import { looksRfc5424, parseRfc5424 } from "./parse-rfc5424.js";
import { parseRfc3164 } from "./parse-rfc3164.js";

// Byte constants are local, not imported: V8 re-reads an imported binding on every use,
// which makes the byte loops of this file a quarter slower.
const LT = 0x3c;
const GT = 0x3e;
const isDigit = (c: number): boolean => c >= 0x30 && c <= 0x39;

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
  let pri = -1;
  if (b[p] === LT) {
    let q = p + 1;
    let value = 0;
    while (q < end && q - p <= 3 && isDigit(b[q])) value = value * 10 + (b[q++] - 0x30);
    if (q === p + 1 || b[q] !== GT) {
      return unparsed(t, "PRI: <1-3 digits> expected at the start", ctx, truncated);
    }
    if (value > 191) return unparsed(t, `PRI: ${value} is over 191`, ctx, truncated);
    // RFC 5424 6.2.1: PRIVAL has no leading zeros ("<0>" is the only one starting with 0).
    if (b[p + 1] === 0x30 && q > p + 2) return unparsed(t, `PRI: "${t.get(p + 1, q)}" has a leading zero (RFC 5424 6.2.1)`, ctx, truncated);
    pri = value;
    p = q + 1;
  }
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
