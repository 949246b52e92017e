/**
 * The event model of CONTRACT.md section 1: what every source emits, every operator maps and
 * every sink receives. Serialises with JSON.stringify to the Stalwart live-telemetry shape.
 */
export interface LiveEvent {
  /** `<ms>-<seq>`, unique within the process, increasing by arrival (part by part as numbers). */
  id: string;
  /** `family.kebab-case-name`, e.g. `smtp.connection-start`. */
  type: string;
  /** RFC 3339, UTC, millisecond precision. */
  createdAt: string;
  /** One human line. */
  text?: string;
  /** Longer human text. */
  details?: string;
  /** camelCase keys, JSON values. */
  data: Record<string, unknown>;
}

/** What a source emits: core assigns `id` when absent and `createdAt` (receive time) when absent or invalid. */
export type LiveEventInput = Omit<LiveEvent, "id" | "createdAt"> & { id?: string; createdAt?: string };

/**
 * When the process received the event (clock ms). A symbol key, so JSON.stringify never
 * serialises it and plugins cannot collide with it.
 */
export const RECEIVED_AT: unique symbol = Symbol.for("livetap.receivedAt");
export type StampedEvent = LiveEvent & { [RECEIVED_AT]?: number };

const EVENT_TYPE = /^[a-z0-9]+(?:[.-][a-z0-9]+)*$/;
/** `family.kebab-case-name`: lowercase words joined by dots and dashes. */
export function isEventType(type: unknown): type is string {
  return typeof type === "string" && type.length <= 200 && EVENT_TYPE.test(type);
}

// Exactly what Date#toISOString prints: the canonical form needs no re-formatting.
const CANONICAL_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

/**
 * Normalises any RFC 3339 / ISO 8601 timestamp (or epoch ms number) to the contract's form
 * (UTC, milliseconds; finer fractions are truncated). Undefined when it is not a valid time.
 */
export function toCreatedAt(value: unknown): string | undefined {
  if (typeof value === "string") {
    if (CANONICAL_TIME.test(value)) return value;
    if (value.length > 64 || !/^\d{4}-\d\d-\d\d[T ]\d\d:\d\d/.test(value)) return undefined;
    const ms = Date.parse(value.replace(" ", "T").replace(/(\.\d{3})\d+/, "$1"));
    return inRfc3339Range(ms) ? new Date(ms).toISOString() : undefined;
  }
  if (typeof value === "number" && inRfc3339Range(value) && value > 0) return new Date(Math.trunc(value)).toISOString();
  return undefined;
}

/** Year 0000 to 9999: RFC 3339 has four-digit years, toISOString prints others as `+010000`. */
const MAX_RFC3339_MS = Date.UTC(10000, 0, 1);
const MIN_RFC3339_MS = -62_167_219_200_000; // 0000-01-01T00:00:00Z (Date.UTC maps year 0 to 1900)
function inRfc3339Range(ms: number): boolean {
  return Number.isFinite(ms) && ms >= MIN_RFC3339_MS && ms < MAX_RFC3339_MS;
}

/**
 * Assigns ids `<ms>-<seq>`. The ms part never goes backwards even if the wall clock does, and
 * seq never repeats, so ids stay unique and ordered by arrival.
 */
export class EventIdGenerator {
  private lastMs = 0;
  private seq = 0;
  /** `<lastMs>-`, formatted once per millisecond rather than per event. */
  private prefix = "0-";
  next(nowMs: number): string {
    if (nowMs > this.lastMs) {
      this.lastMs = Math.trunc(nowMs);
      this.prefix = `${this.lastMs}-`;
    }
    return this.prefix + ++this.seq;
  }
}

/**
 * The event as JSON, never throwing: the fast path is a plain JSON.stringify; only data JSON
 * cannot carry pays for a replacer (BigInt as text), and circular data is replaced by
 * `{ "unserializable": true }` with the envelope kept.
 */
export function eventToJson(event: LiveEvent): string {
  try {
    return JSON.stringify(event);
  } catch {
    try {
      return JSON.stringify(event, bigintAsText);
    } catch {
      const { id, type, createdAt, text } = event;
      return JSON.stringify({ id, type, createdAt, text, data: { unserializable: true } });
    }
  }
}

function bigintAsText(_key: string, value: unknown): unknown {
  return typeof value === "bigint" ? value.toString() : value;
}
