import type { Counter, LiveEventInput } from "../../../core/index.js";
import { lineToEvent } from "../../../core/kit.js";
import { LINE_PLAIN, LINE_SPLIT, LINE_TRUNCATED, type LineFlag } from "./lines.js";

export interface LineEventOptions {
  encoding: "utf8" | "latin1";
  eventType: string;
}

/**
 * One line of a file as an event (CONTRACT 1 "File events"), or undefined for a blank line.
 * `truncated` counts lines cut at maxLineBytes.
 */
export function lineEvent(o: LineEventOptions, truncated: Counter, path: string, bytes: Buffer, offset: number, flag: LineFlag): LiveEventInput | undefined {
  let line = bytes.toString(o.encoding);
  if (offset === 0 && line.charCodeAt(0) === 0xfeff) line = line.slice(1);
  if (isBlank(line)) return undefined;
  let extra: Record<string, unknown>;
  if (flag === LINE_TRUNCATED) {
    truncated.inc();
    extra = { path, offset, truncated: true };
  } else if (flag === LINE_SPLIT) {
    truncated.inc();
    extra = { path, offset, split: true };
  } else extra = { path, offset };
  // A cut JSON line is not a record any more: keep it as text.
  return flag === LINE_PLAIN ? lineToEvent(line, { defaultType: o.eventType, extra }) : { type: o.eventType, data: { message: line, ...extra } };
}

function isBlank(line: string): boolean {
  if (line.length === 0) return true;
  if (line.charCodeAt(0) > 32 && line.charCodeAt(line.length - 1) > 32) return false;
  return line.trim() === "";
}
