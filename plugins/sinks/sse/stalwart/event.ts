/**
 * The compat serialiser (CONTRACT 11): an event as Stalwart's WebAdmin decodes it.
 *
 * WebAdmin decodes `data` with serde into a closed list of key names (keys.ts) and an untagged
 * value enum of string, u64, f64, bool, sub-event `{type, data}` or array of those; anything
 * else fails the whole `trace` frame. So each data entry is either sent as is (a Stalwart key
 * with such a value) or folded into `details` as a `key=value` line: nothing is lost from view.
 */
import type { LiveEvent } from "../../../../core/index.js";
import { STALWART_KEY_ALIASES, STALWART_KEYS } from "./keys.js";

/** Nesting of arrays kept as data below this depth; deeper ones go to details as JSON. */
const MAX_ARRAY_DEPTH = 16;

/**
 * The event with Stalwart's key names and value shapes. `text` is always present: the event's
 * own, else its `message` (syslog and file lines have no text of their own), else its type.
 */
export function toStalwartEvent(event: LiveEvent): LiveEvent {
  const src = event.data ?? {};
  const data: Record<string, unknown> = {};
  const lines: string[] = [];
  const renamedFrom = new Set<string>();
  for (const [target, aliases] of Object.entries(STALWART_KEY_ALIASES)) {
    if (hasOwn(src, target)) continue;
    const from = aliases.find((a) => hasOwn(src, a) && isDataValue(src[a], 0));
    if (from === undefined) continue;
    data[target] = src[from];
    renamedFrom.add(from);
  }
  let text = event.text;
  let textFrom: string | undefined;
  if (text === undefined && typeof src.message === "string" && src.message !== "") {
    text = src.message;
    textFrom = "message";
  }
  for (const key of Object.keys(src)) {
    if (renamedFrom.has(key) || key === textFrom) continue;
    const value = src[key];
    if (value === undefined) continue; // JSON has no undefined: the key was never there
    if (STALWART_KEYS.has(key) && isDataValue(value, 0)) data[key] = value;
    else lines.push(`${key}=${valueText(value)}`);
  }
  const folded = lines.join("\n");
  const details = event.details === undefined ? folded || undefined : folded ? `${event.details}\n${folded}` : event.details;
  const out: LiveEvent = { id: event.id, type: event.type, createdAt: event.createdAt, text: text ?? event.type, data };
  if (details !== undefined) out.details = details;
  return out;
}

/** A value WebAdmin's `Value` enum takes: string, finite number, boolean, or an array of those. */
function isDataValue(value: unknown, depth: number): boolean {
  switch (typeof value) {
    case "string":
    case "boolean":
      return true;
    case "number":
      // JSON.stringify writes NaN and Infinity as null, which no variant takes.
      return Number.isFinite(value);
    case "object":
      if (!Array.isArray(value) || depth >= MAX_ARRAY_DEPTH) return false;
      for (let i = 0; i < value.length; i++) if (!isDataValue(value[i], depth + 1)) return false;
      return true;
    default:
      return false; // bigint, null handled by the caller as text; functions, symbols never JSON
  }
}

/** A folded value: strings as they are (JSON-quoted when multi-line), the rest as JSON. */
function valueText(value: unknown): string {
  if (typeof value === "string") return /[\r\n]/.test(value) ? JSON.stringify(value) : value;
  if (typeof value === "bigint") return value.toString();
  if (typeof value === "number" && !Number.isFinite(value)) return String(value);
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return "[not JSON-serialisable]"; // a cycle: the event itself is still sent
  }
}

function hasOwn(o: Record<string, unknown>, k: string): boolean {
  return Object.prototype.hasOwnProperty.call(o, k);
}
