import type protobuf from "protobufjs/light.js";
import type { Signal } from "./schema.js";

/** The two OTLP/HTTP encodings (OTLP spec "OTLP/HTTP Request"). */
export type Encoding = "protobuf" | "json";

export type Decoded = { ok: true; message: unknown } | { ok: false; details: string };

/** The media type of a Content-Type header, or undefined when OTLP has no encoding for it. */
export function encodingOf(contentType: string | undefined): Encoding | undefined {
  if (contentType === undefined) return undefined;
  const semi = contentType.indexOf(";");
  const media = (semi < 0 ? contentType : contentType.slice(0, semi)).trim().toLowerCase();
  if (media === "application/x-protobuf") return "protobuf";
  if (media === "application/json") return "json";
  return undefined;
}

/**
 * Binary protobuf through protobufjs: unknown fields are skipped (the spec's forward
 * compatibility); a truncated or malformed body is an error naming the byte offset.
 */
export function decodeProtobuf(type: protobuf.Type, body: Buffer): Decoded {
  try {
    return { ok: true, message: type.decode(body) };
  } catch (err) {
    return { ok: false, details: `the body is not a valid ${type.name} in protobuf: ${describe(err)}` };
  }
}

/** Where the trace and span ids sit in each signal's JSON: hex there (OTLP/JSON), base64 in proto3 JSON. */
const ID_PATHS: Record<Signal, readonly (readonly string[])[]> = {
  logs: [["resourceLogs", "scopeLogs", "logRecords"]],
  traces: [["resourceSpans", "scopeSpans", "spans"], ["resourceSpans", "scopeSpans", "spans", "links"]],
  metrics: ["gauge", "sum", "histogram", "exponentialHistogram"].map((kind) => ["resourceMetrics", "scopeMetrics", "metrics", kind, "dataPoints", "exemplars"]),
};
const ID_LENGTHS: Record<string, number> = { traceId: 16, spanId: 8, parentSpanId: 8 };

/**
 * OTLP/JSON (the spec's "JSON Protobuf Encoding"): JSON.parse, the hex trace/span ids turned
 * into bytes, then protobufjs's `fromObject`, which takes lowerCamelCase keys, int64 as strings
 * or numbers, enums as numbers, other bytes as base64, and ignores unknown keys. Errors name
 * the place: the JSON offset, the id's path, or the message type and field.
 */
export function decodeJson(type: protobuf.Type, signal: Signal, body: Buffer): Decoded {
  let root: unknown;
  try {
    root = JSON.parse(body.toString("utf8"));
  } catch (err) {
    return { ok: false, details: `the body is not valid JSON: ${describe(err)}` };
  }
  if (!isObject(root)) return { ok: false, details: `the body must be a JSON object (an ${type.name})` };
  for (const path of ID_PATHS[signal]) {
    const problem = hexIds(root, path, 0, "");
    if (problem !== undefined) return { ok: false, details: problem };
  }
  try {
    return { ok: true, message: type.fromObject(root) };
  } catch (err) {
    return { ok: false, details: `the body is not a valid ${type.name}: ${describe(err)}` };
  }
}

/** Walks `path` (arrays of objects, or one object for the metric kinds) and converts the ids at its end. */
function hexIds(node: Record<string, unknown>, path: readonly string[], at: number, where: string): string | undefined {
  if (at === path.length) {
    for (const key in ID_LENGTHS) {
      const id = node[key];
      if (id === undefined || id === null) continue;
      if (typeof id !== "string" || id.length !== ID_LENGTHS[key] * 2 || !/^[0-9a-fA-F]*$/.test(id)) {
        if (id === "") continue;
        return `${where}.${key}: ${JSON.stringify(id).slice(0, 80)} is not ${ID_LENGTHS[key] * 2} hex digits`;
      }
      node[key] = Buffer.from(id, "hex");
    }
    return undefined;
  }
  const key = path[at];
  const child = node[key];
  const here = where === "" ? key : `${where}.${key}`;
  if (child === undefined || child === null) return undefined;
  if (isObject(child)) return hexIds(child, path, at + 1, here);
  if (!Array.isArray(child)) return `${here}: expected ${key.endsWith("s") ? "an array" : "an object"}, got ${typeof child}`;
  for (let i = 0; i < child.length; i++) {
    const item: unknown = child[i];
    if (!isObject(item)) return `${here}[${i}]: expected an object, got ${item === null ? "null" : typeof item}`;
    const problem = hexIds(item, path, at + 1, `${here}[${i}]`);
    if (problem !== undefined) return problem;
  }
  return undefined;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function describe(err: unknown): string {
  if (err instanceof RangeError && /call stack/i.test(err.message)) return "values nest too deeply";
  return (err instanceof Error ? err.message : String(err)).slice(0, 300);
}
