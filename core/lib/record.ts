import { isEventType, toCreatedAt, type LiveEventInput } from "../event.js";

export interface RecordOptions {
  /** Type used when the record has no valid string type field. */
  defaultType: string;
  /** Field holding the type (default `type`). */
  typeField?: string;
  /** Fields tried in order for createdAt (default `createdAt`, then `timestamp`). */
  timeFields?: readonly string[];
  /** Fields added to data after the record's own (e.g. path/offset, remoteIp). */
  extra?: Record<string, unknown>;
}

const DEFAULT_TIME_FIELDS = ["createdAt", "timestamp"] as const;

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * CONTRACT 1: a JSON-object input record becomes an event. Its string `type` becomes the
 * event's type and a valid `createdAt` (or `timestamp`) its createdAt; neither stays in
 * `data`; every other field is `data` as it is.
 */
export function recordToEvent(record: Record<string, unknown>, o: RecordOptions): LiveEventInput {
  const typeField = o.typeField ?? "type";
  const timeFields = o.timeFields ?? DEFAULT_TIME_FIELDS;
  const ownType = toEventType(record[typeField]);
  let timeField: string | undefined;
  let createdAt: string | undefined;
  for (const field of timeFields) {
    createdAt = toCreatedAt(record[field]);
    if (createdAt !== undefined) {
      timeField = field;
      break;
    }
  }
  // Built key by key: copying then deleting would leave `data` a slow dictionary object.
  const data: Record<string, unknown> = {};
  for (const key of Object.keys(record)) {
    if ((key === typeField && ownType !== undefined) || key === timeField) continue;
    if (key === "__proto__") Object.defineProperty(data, key, { value: record[key], enumerable: true, writable: true, configurable: true });
    else data[key] = record[key];
  }
  if (o.extra) Object.assign(data, o.extra);
  const type = ownType ?? o.defaultType;
  return createdAt === undefined ? { type, data } : { type, createdAt, data };
}

/**
 * A record's string type as an event type: kept when it already is `family.kebab-name`,
 * otherwise folded to that form (`PushEvent` -> `push-event`, `App Login` -> `app-login`), so
 * an upstream's own type names survive; undefined for non-strings and empty results.
 */
export function toEventType(value: unknown): string | undefined {
  if (typeof value !== "string") return undefined;
  if (isEventType(value)) return value;
  const folded = (value as string)
    .slice(0, 200)
    .replace(/([a-z0-9])([A-Z])/g, "$1-$2")
    .toLowerCase()
    .replace(/[^a-z0-9.]+/g, "-")
    .replace(/-*\.+-*/g, ".")
    .replace(/^[.-]+|[.-]+$/g, "");
  return isEventType(folded) ? folded : undefined;
}

/**
 * One input line (stdin, file, text webhook): a JSON object line is a record, anything else
 * is `{ message: line }`.
 */
export function lineToEvent(line: string, o: RecordOptions): LiveEventInput {
  const trimmed = line.trimStart();
  if (trimmed.startsWith("{")) {
    try {
      const parsed: unknown = JSON.parse(line);
      if (isPlainObject(parsed)) return recordToEvent(parsed, o);
    } catch {
      // Not JSON after all: a text line that happens to start with a brace.
    }
  }
  return { type: o.defaultType, data: { message: line, ...o.extra } };
}
