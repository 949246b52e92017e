import type { LiveEventInput } from "../../../core/index.js";
import { toEventType } from "../../../core/kit.js";
import {
  anyValueToJson,
  attributesInto,
  Budget,
  idHex,
  int64Number,
  nanosToMs,
  RecordRefused,
  stringAttribute,
  valueKind,
  type AnyValue,
  type Int64,
  type KeyValue,
  type MapContext,
} from "./values.js";

/** The fields of the decoded OTLP messages (logs/v1, trace/v1) that CONTRACT 10 maps. */
interface Resource {
  attributes?: KeyValue[];
}
interface Scope {
  name?: string;
}
export interface LogRecord {
  timeUnixNano?: Int64;
  observedTimeUnixNano?: Int64;
  severityNumber?: number;
  severityText?: string;
  body?: AnyValue | null;
  attributes?: KeyValue[];
  traceId?: Uint8Array;
  spanId?: Uint8Array;
  eventName?: string;
}
export interface LogsRequest {
  resourceLogs?: { resource?: Resource | null; scopeLogs?: { scope?: Scope | null; logRecords?: LogRecord[] }[] }[];
}
interface SpanEvent {
  timeUnixNano?: Int64;
  name?: string;
  attributes?: KeyValue[];
}
export interface Span {
  traceId?: Uint8Array;
  spanId?: Uint8Array;
  parentSpanId?: Uint8Array;
  name?: string;
  kind?: number;
  startTimeUnixNano?: Int64;
  endTimeUnixNano?: Int64;
  attributes?: KeyValue[];
  events?: SpanEvent[];
  status?: { code?: number; message?: string } | null;
}
export interface TracesRequest {
  resourceSpans?: { resource?: Resource | null; scopeSpans?: { scope?: Scope | null; spans?: Span[] }[] }[];
}

/** What one request maps to: its events, and the records refused by the value limits. */
export interface Mapped {
  events: LiveEventInput[];
  /** Records (log records or spans) refused, for `partialSuccess`. */
  rejected: number;
  /** Why the first refused record was refused. */
  firstError: string | undefined;
}

/**
 * OTel severity numbers to the syslog names of CONTRACT 1, as the Collector's Google Cloud
 * exporter maps them to the syslog-derived LogSeverity: TRACE and DEBUG debug, INFO info,
 * INFO2-4 notice, WARN warning, ERROR err, ERROR2 crit, ERROR3-4 alert, FATAL emerg. It is
 * also the inverse of the Collector's syslog parser (emerg FATAL, alert ERROR3, crit ERROR2,
 * err ERROR, warning WARN, notice INFO2, info INFO, debug DEBUG).
 */
export function severityName(n: number | undefined): string | undefined {
  if (n === undefined || n < 1 || n > 24) return undefined;
  if (n <= 8) return "debug";
  if (n === 9) return "info";
  if (n <= 12) return "notice";
  if (n <= 16) return "warning";
  if (n === 17) return "err";
  if (n === 18) return "crit";
  if (n <= 20) return "alert";
  return "emerg";
}

/** Severity texts seen without a number (SEVERITY_NUMBER_UNSPECIFIED), by their usual names. */
const SEVERITY_TEXTS: Record<string, string> = {
  trace: "debug", debug: "debug", info: "info", information: "info", informational: "info", notice: "notice",
  warn: "warning", warning: "warning", error: "err", err: "err", critical: "crit", crit: "crit",
  alert: "alert", fatal: "emerg", emerg: "emerg", emergency: "emerg", panic: "emerg",
};

/** Span kinds, lowercased from pdata's `SpanKind.String()` (as the Collector's debug exporter prints them). */
export const SPAN_KINDS = ["unspecified", "internal", "server", "client", "producer", "consumer"] as const;
const STATUS_CODES = ["unset", "ok", "error"] as const;

/**
 * Per resource, its attributes rendered once (CONTRACT 10 `resource`); each event gets its
 * own shallow copy, so an operator that edits one event's data touches no other.
 */
function resourceData(resource: Resource | null | undefined, limits: MapContext): Record<string, unknown> | RecordRefused {
  try {
    return attributesInto({}, resource?.attributes, new Budget(limits));
  } catch (err) {
    if (err instanceof RecordRefused) return new RecordRefused(`resource ${err.message}`);
    throw err;
  }
}

/**
 * The walk both signals share: per resource its attributes once, per scope its name, per
 * record its events (`toEvents` throws RecordRefused to refuse one, all its events with it),
 * each event given the resource and scope. `names` are the request's field names, for the
 * path in a refusal's message.
 */
function mapRecords<G extends { resource?: Resource | null }, S extends { scope?: Scope | null }, R>(
  groups: readonly G[],
  scopesOf: (group: G) => readonly S[] | undefined,
  recordsOf: (scope: S) => readonly R[] | undefined,
  names: readonly [resources: string, scopes: string, records: string],
  toEvents: (record: R) => LiveEventInput[],
  limits: MapContext,
): Mapped {
  const events: LiveEventInput[] = [];
  let rejected = 0;
  let firstError: string | undefined;
  const refuse = (where: string, err: unknown, n = 1) => {
    if (!(err instanceof RecordRefused)) throw err;
    rejected += n;
    firstError ??= `${where}: ${err.message}`;
  };
  const [groupName, scopeName, recordName] = names;
  for (let r = 0; r < groups.length; r++) {
    const resource = resourceData(groups[r].resource, limits);
    const scopes = scopesOf(groups[r]) ?? [];
    if (resource instanceof RecordRefused) {
      for (const sc of scopes) refuse(`${groupName}[${r}]`, resource, recordsOf(sc)?.length ?? 0);
      continue;
    }
    const hasResource = Object.keys(resource).length > 0;
    for (let s = 0; s < scopes.length; s++) {
      const scope = scopes[s].scope?.name || undefined;
      const records = recordsOf(scopes[s]) ?? [];
      for (let i = 0; i < records.length; i++) {
        try {
          for (const e of toEvents(records[i])) {
            if (hasResource) e.data.resource = { ...resource };
            if (scope !== undefined) e.data.scope = scope;
            events.push(e);
          }
        } catch (err) {
          refuse(`${groupName}[${r}].${scopeName}[${s}].${recordName}[${i}]`, err);
        }
      }
    }
  }
  return { events, rejected, firstError };
}

/** CONTRACT 10: one event per log record. */
export function mapLogs(req: LogsRequest, limits: MapContext): Mapped {
  return mapRecords(req.resourceLogs ?? [], (g) => g.scopeLogs, (s) => s.logRecords, ["resourceLogs", "scopeLogs", "logRecords"], (rec) => [logEvent(rec, limits)], limits);
}

/** `traceId` and `spanId` (hex), each when the record has it. */
function putIds(data: Record<string, unknown>, traceId: string | undefined, spanId: string | undefined): void {
  if (traceId !== undefined) data.traceId = traceId;
  if (spanId !== undefined) data.spanId = spanId;
}

function logEvent(rec: LogRecord, limits: MapContext): LiveEventInput {
  const budget = new Budget(limits);
  // The event name: the record's own field (OTLP 1.5+), else the `event.name` attribute
  // (older SDKs); either way it names the type and leaves data.
  const fromField = rec.eventName || undefined;
  const name = fromField ?? stringAttribute(rec.attributes, "event.name");
  const data = attributesInto({}, rec.attributes, budget, fromField === undefined && name !== undefined ? "event.name" : undefined);
  const severity = severityName(rec.severityNumber) ?? (rec.severityText ? SEVERITY_TEXTS[rec.severityText.toLowerCase()] : undefined);
  if (severity !== undefined) data.severity = severity;
  putIds(data, idHex(rec.traceId), idHex(rec.spanId));
  let text: string | undefined;
  const body = rec.body;
  const bodyKind = body ? valueKind(body) : undefined;
  if (bodyKind === "stringValue") {
    budget.spend(body!.stringValue!.length, "body");
    text = body!.stringValue;
  } else if (bodyKind !== undefined) data.body = anyValueToJson(body, 1, budget, "body");
  const e: LiveEventInput = { type: (name !== undefined ? toEventType(name) : undefined) ?? "otel.log", data };
  if (text !== undefined) e.text = text;
  const createdAt = limits.times.format(nanosToMs(rec.timeUnixNano) ?? nanosToMs(rec.observedTimeUnixNano));
  if (createdAt !== undefined) e.createdAt = createdAt;
  return e;
}

/** CONTRACT 10: one `otel.span` event per span, then one `otel.span-event` per span event. */
export function mapTraces(req: TracesRequest, limits: MapContext): Mapped {
  // All of a span's events, or none: a refused span takes its span events along.
  return mapRecords(req.resourceSpans ?? [], (g) => g.scopeSpans, (s) => s.spans, ["resourceSpans", "scopeSpans", "spans"], (span) => spanEvents(span, limits), limits);
}

function spanEvents(span: Span, limits: MapContext): LiveEventInput[] {
  const budget = new Budget(limits);
  const name = span.name ?? "";
  budget.spend(name.length, "name");
  const traceId = idHex(span.traceId);
  const spanId = idHex(span.spanId);
  const data = attributesInto({}, span.attributes, budget);
  data.name = name;
  putIds(data, traceId, spanId);
  const parentSpanId = idHex(span.parentSpanId);
  if (parentSpanId !== undefined) data.parentSpanId = parentSpanId;
  data.kind = SPAN_KINDS[span.kind ?? 0] ?? "unspecified";
  const startNs = int64Number(span.startTimeUnixNano);
  const endNs = int64Number(span.endTimeUnixNano);
  // Differences of ~1.7e18 ns doubles are exact to 256 ns: microseconds are kept.
  if (startNs > 0 && endNs >= startNs) data.durationMs = Math.round((endNs - startNs) / 1e3) / 1e3;
  data.status = STATUS_CODES[span.status?.code ?? 0] ?? "unset";
  if (span.status?.message) data.statusMessage = span.status.message;
  const out: LiveEventInput[] = [];
  const e: LiveEventInput = { type: "otel.span", text: name, data };
  const createdAt = limits.times.format(nanosToMs(span.startTimeUnixNano));
  if (createdAt !== undefined) e.createdAt = createdAt;
  out.push(e);
  for (const ev of span.events ?? []) {
    const evName = ev.name ?? "";
    budget.spend(evName.length, "span event name");
    const evData = attributesInto({}, ev.attributes, budget);
    evData.name = evName;
    putIds(evData, traceId, spanId);
    const se: LiveEventInput = { type: "otel.span-event", text: evName, data: evData };
    const at = limits.times.format(nanosToMs(ev.timeUnixNano));
    if (at !== undefined) se.createdAt = at;
    out.push(se);
  }
  return out;
}
