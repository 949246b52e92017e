import { isUtf8 } from "node:buffer";
import { TextDecoder } from "node:util";
import type { LiveEventInput } from "../../../core/index.js";
import { isPlainObject, type RecordOptions, recordToEvent } from "../../../core/kit.js";

/** A request body that cannot be ingested: the status and JSON body of the answer (CONTRACT 5). */
export interface BodyError {
  ok: false;
  status: 400 | 413 | 415;
  details: string;
  /** 1-based line of an NDJSON (or text) body the problem is on. */
  line?: number;
}
export type ParsedBody = { ok: true; events: LiveEventInput[] } | BodyError;

export type BodyKind = "json" | "ndjson" | "text";
export interface MediaType {
  kind: BodyKind;
  /** Lowercase charset label; "utf-8" when absent. */
  charset: string;
}

const KINDS: Record<string, BodyKind> = {
  "application/json": "json",
  "application/x-ndjson": "ndjson",
  "text/plain": "text",
};
const ACCEPTED = "application/json, application/x-ndjson or text/plain";
const UTF8_LABELS = new Set(["utf-8", "utf8", "unicode-1-1-utf-8"]);
const LF = 0x0a;

const bad = (details: string, line?: number): BodyError => (line === undefined ? { ok: false, status: 400, details } : { ok: false, status: 400, details, line });
const unsupported = (details: string): BodyError => ({ ok: false, status: 415, details });

/** The body kind and charset of a Content-Type header; 415 for anything but the three types. */
export function parseMediaType(header: string | undefined): MediaType | BodyError {
  if (header === undefined || header.trim() === "") return unsupported(`missing content-type: send ${ACCEPTED}`);
  const [essence, ...params] = header.split(";");
  const kind = KINDS[essence.trim().toLowerCase()];
  if (kind === undefined) return unsupported(`content-type "${clip(essence.trim())}" is not accepted: send ${ACCEPTED}`);
  let charset = "utf-8";
  for (const p of params) {
    const eq = p.indexOf("=");
    if (eq < 0 || p.slice(0, eq).trim().toLowerCase() !== "charset") continue;
    charset = p.slice(eq + 1).trim().replace(/^"(.*)"$/, "$1").toLowerCase();
  }
  return { kind, charset };
}

/**
 * Decodes and parses one request body into events, all or nothing (CONTRACT 5): a JSON object
 * or array of objects, NDJSON (one object per line) or text (one `{ message }` event per
 * line). Blank lines are skipped; a body without events
 * is a 400. `contentType`: the header, or what parseMediaType made of it. A body with more than
 * `maxEvents` events is a 413 (it could never fit the queue), found without parsing the rest.
 */
export function parseBody(contentType: string | undefined | MediaType | BodyError, body: Buffer, record: RecordOptions, maxEvents = Infinity): ParsedBody {
  const media = typeof contentType === "object" ? contentType : parseMediaType(contentType);
  if (!("kind" in media)) return media;
  const text = decode(body, media);
  if (typeof text !== "string") return text;
  if (!/\S/.test(text)) return bad("empty body: nothing to ingest");
  switch (media.kind) {
    case "json":
      return parseJson(text, record, maxEvents);
    case "ndjson":
      return parseNdjson(text, record, maxEvents);
    case "text":
      return parseText(text, record, maxEvents);
  }
}

function tooMany(count: number, maxEvents: number): BodyError {
  return {
    ok: false,
    status: 413,
    details: `the request holds ${count} events, more than maxPendingEvents (${maxEvents}) can ever hold: send at most ${maxEvents} per request`,
  };
}

/** Non-blank lines of `text` from `start`: the events a line-based body still holds. */
function linesFrom(text: string, start: number): number {
  let n = 0;
  for (; start <= text.length; ) {
    let end = text.indexOf("\n", start);
    if (end < 0) end = text.length;
    if (!isBlank(text.slice(start, end))) n++;
    start = end + 1;
  }
  return n;
}

function decode(body: Buffer, media: MediaType): string | BodyError {
  let text: string;
  if (UTF8_LABELS.has(media.charset)) {
    if (!isUtf8(body)) return bad("body is not valid UTF-8", media.kind === "json" ? undefined : firstBadUtf8Line(body));
    text = body.toString("utf8");
  } else {
    let decoder: TextDecoder;
    try {
      decoder = new TextDecoder(media.charset, { fatal: true });
    } catch {
      return unsupported(`charset "${clip(media.charset)}" is not supported: send UTF-8`);
    }
    try {
      text = decoder.decode(body);
    } catch {
      return bad(`body is not valid ${decoder.encoding}`);
    }
  }
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

function parseJson(text: string, record: RecordOptions, maxEvents: number): ParsedBody {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return bad(`malformed JSON: ${(err as Error).message}`);
  }
  if (isPlainObject(value)) return { ok: true, events: [recordToEvent(value, record)] };
  if (!Array.isArray(value)) return bad(`body is ${kindOf(value)}: send a JSON object or an array of objects`);
  if (value.length === 0) return bad("empty array: nothing to ingest");
  if (value.length > maxEvents) return tooMany(value.length, maxEvents);
  const events: LiveEventInput[] = [];
  for (let i = 0; i < value.length; i++) {
    const item: unknown = value[i];
    if (!isPlainObject(item)) return bad(`body[${i}] is ${kindOf(item)}, not a JSON object`);
    events.push(recordToEvent(item, record));
  }
  return { ok: true, events };
}

function parseNdjson(text: string, record: RecordOptions, maxEvents: number): ParsedBody {
  const events: LiveEventInput[] = [];
  let line = 0;
  for (let start = 0; start <= text.length; ) {
    let end = text.indexOf("\n", start);
    if (end < 0) end = text.length;
    line++;
    const raw = text.slice(start, end);
    start = end + 1;
    if (isBlank(raw)) continue;
    if (events.length === maxEvents) return tooMany(maxEvents + 1 + linesFrom(text, start), maxEvents);
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch (err) {
      return bad(`line ${line}: malformed JSON: ${(err as Error).message}`, line);
    }
    if (!isPlainObject(value)) return bad(`line ${line} is ${kindOf(value)}, not a JSON object`, line);
    events.push(recordToEvent(value, record));
  }
  return { ok: true, events };
}

function parseText(text: string, record: RecordOptions, maxEvents: number): ParsedBody {
  const events: LiveEventInput[] = [];
  for (let start = 0; start <= text.length; ) {
    let end = text.indexOf("\n", start);
    if (end < 0) end = text.length;
    const raw = text.slice(start, end > start && text.charCodeAt(end - 1) === 0x0d ? end - 1 : end);
    start = end + 1;
    // CONTRACT 5: text is text (`{ message: line }`), even a line that looks like JSON;
    // records are posted as application/json or application/x-ndjson.
    if (isBlank(raw)) continue;
    if (events.length === maxEvents) return tooMany(maxEvents + 1 + linesFrom(text, start), maxEvents);
    events.push({ type: record.defaultType, data: { message: raw, ...record.extra } });
  }
  return { ok: true, events };
}

/** Blank: nothing but whitespace (a CR of a CRLF ending included). */
function isBlank(line: string): boolean {
  return !/\S/.test(line);
}

function firstBadUtf8Line(body: Buffer): number | undefined {
  let line = 1;
  for (let start = 0; start < body.length; line++) {
    let end = body.indexOf(LF, start);
    if (end < 0) end = body.length;
    if (!isUtf8(body.subarray(start, end))) return line;
    start = end + 1;
  }
  return undefined;
}

function kindOf(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "an array";
  return typeof v === "object" ? "an object" : `a ${typeof v}`;
}

function clip(s: string): string {
  return s.length > 100 ? `${s.slice(0, 100)}...` : s;
}
