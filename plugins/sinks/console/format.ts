/**
 * How the console sink prints one event. Pure: the same event and options give the same line.
 */
import type { LiveEvent } from "../../../core/index.js";
import { eventToJson } from "../../../core/kit.js";

export interface FormatOptions {
  format: "json" | "pretty";
  /** ANSI colors (pretty only). */
  color: boolean;
}

/** Width the type column is padded to in pretty output; longer types push the rest right. */
export const TYPE_WIDTH = 24;

/** The event as one line, newline included. Never throws: data that JSON cannot carry is replaced. */
export function formatEvent(event: LiveEvent, o: FormatOptions): string {
  return o.format === "json" ? `${eventToJson(event)}\n` : `${pretty(event, o.color)}\n`;
}


const ESC = "\u001b[";
const paint = (on: boolean, code: string, s: string): string => (on ? `${ESC}${code}m${s}${ESC}0m` : s);

/** Colors by the event's own level/severity, when it has one. */
function levelColor(data: Record<string, unknown>): string | undefined {
  const level = data.level ?? data.severity;
  if (typeof level !== "string") return undefined;
  switch (level.toLowerCase()) {
    case "emerg":
    case "alert":
    case "crit":
    case "critical":
    case "err":
    case "error":
    case "fatal":
      return "31"; // red
    case "warn":
    case "warning":
      return "33"; // yellow
    case "debug":
    case "trace":
      return "2"; // dim
    default:
      return undefined;
  }
}

// C0/C1 controls, DEL, line/paragraph separators and bidi overrides: printed raw they would let
// input move the cursor, recolor the terminal or reorder what the reader sees.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
const ESCAPES: Record<string, string> = { "\n": "\\n", "\r": "\\r", "\t": "\\t" };

/** Text safe to print on a terminal: control characters shown as escapes. */
export function sanitize(s: string): string {
  return s.replace(UNSAFE, (c) => ESCAPES[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

const BARE = /^[^\s"=\\]+$/;

/** A data value as JSON text for the pretty line; circular values are named, not thrown. */
function toJson(value: unknown): string {
  try {
    return JSON.stringify(value, (_key, v: unknown) => (typeof v === "bigint" ? v.toString() : v)) ?? "null";
  } catch {
    return '"[unserializable]"';
  }
}

function formatValue(value: unknown): string {
  if (typeof value === "string") return sanitize(BARE.test(value) ? value : toJson(value));
  if (typeof value === "number" || typeof value === "boolean" || typeof value === "bigint") return String(value);
  if (value === null) return "null";
  if (value === undefined) return "undefined";
  return sanitize(toJson(value));
}

function pretty(event: LiveEvent, color: boolean): string {
  const data = event.data !== null && typeof event.data === "object" ? event.data : {};
  const at = typeof event.createdAt === "string" && event.createdAt.length === 24 ? event.createdAt.slice(11, 23) : String(event.createdAt);
  const type = sanitize(String(event.type)).padEnd(TYPE_WIDTH);
  const level = levelColor(data);
  let line = `${paint(color, "2", at)} ${paint(color, level ?? "36", type)}`;
  if (event.text) line += ` ${level && color ? paint(true, level, sanitize(event.text)) : sanitize(event.text)}`;
  for (const key of Object.keys(data)) {
    line += ` ${paint(color, "2", `${sanitize(key)}=`)}${formatValue(data[key])}`;
  }
  if (event.details) line += ` ${paint(color, "2", "details=")}${formatValue(event.details)}`;
  return line;
}
