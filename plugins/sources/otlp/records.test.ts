import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { decodeJson, decodeProtobuf } from "./decode.js";
import { mapLogs, mapTraces, severityName, type LogsRequest, type TracesRequest } from "./records.js";
import { OtlpSchema } from "./schema.js";
import { dottedToCamel, IsoTimes, KeyNames } from "./values.js";

const schema = new OtlpSchema();
const limits = { maxDepth: 4, maxBytes: 10_000, names: new KeyNames(), times: new IsoTimes() };
const logsType = schema.signals.logs.request;
const tracesType = schema.signals.traces.request;

/** An OTLP/JSON logs request through the JSON decoder, as the HTTP path does it. */
function logsFromJson(value: unknown): LogsRequest {
  const d = decodeJson(logsType, "logs", Buffer.from(JSON.stringify(value)));
  if (!d.ok) throw new Error(d.details);
  return d.message as LogsRequest;
}
const oneRecord = (record: Record<string, unknown>, resource: unknown[] = [], scope = "app") =>
  logsFromJson({ resourceLogs: [{ resource: { attributes: resource }, scopeLogs: [{ scope: { name: scope }, logRecords: [record] }] }] });
const str = (key: string, v: string) => ({ key, value: { stringValue: v } });

describe("log records (CONTRACT 10)", () => {
  it("maps type, text, createdAt, severity, ids, attributes, resource and scope", () => {
    const { events, rejected } = mapLogs(
      oneRecord(
        {
          timeUnixNano: "1732445000123456789",
          severityNumber: 13,
          body: { stringValue: "queue is filling up" },
          attributes: [str("event.name", "queue.QueueFull"), str("client.address", "192.0.2.7"), { key: "n", value: { intValue: "42" } }],
          traceId: "5b8efff798038103d269b633813fc60c",
          spanId: "eee19b7ec3c1b174",
        },
        [str("service.name", "stalwart")],
      ),
      limits,
    );
    expect(rejected).toBe(0);
    expect(events).toEqual([
      {
        type: "queue.queue-full",
        text: "queue is filling up",
        createdAt: "2024-11-24T10:43:20.123Z",
        data: {
          clientAddress: "192.0.2.7",
          n: 42,
          severity: "warning",
          traceId: "5b8efff798038103d269b633813fc60c",
          spanId: "eee19b7ec3c1b174",
          resource: { serviceName: "stalwart" },
          scope: "app",
        },
      },
    ]);
  });

  it("is otel.log without an event name, createdAt from the observed time, a non-string body in data", () => {
    const [e] = mapLogs(oneRecord({ observedTimeUnixNano: "1732445000000000000", body: { kvlistValue: { values: [str("a", "b")] } } }, [], ""), limits).events;
    expect(e).toEqual({ type: "otel.log", createdAt: "2024-11-24T10:43:20.000Z", data: { body: { a: "b" } } });
  });

  it("takes the record's eventName field before the event.name attribute, and keeps the attribute then", () => {
    const [e] = mapLogs(oneRecord({ eventName: "smtp.ConnectionStart", attributes: [str("event.name", "other")] }), limits).events;
    expect(e.type).toBe("smtp.connection-start");
    expect(e.data.eventName).toBe("other");
  });

  it("renders array, kvlist, bytes, double and big int values as the Collector's AsRaw does", () => {
    const [e] = mapLogs(
      oneRecord({
        attributes: [
          { key: "list", value: { arrayValue: { values: [{ intValue: 1 }, { boolValue: true }, { doubleValue: 1.5 }] } } },
          { key: "map", value: { kvlistValue: { values: [{ key: "k.x", value: { arrayValue: { values: [] } } }] } } },
          { key: "raw", value: { bytesValue: Buffer.from("hi").toString("base64") } },
          { key: "big", value: { intValue: "9007199254740993" } },
          { key: "neg", value: { intValue: "-5" } },
          { key: "empty", value: {} },
        ],
      }),
      limits,
    ).events;
    expect(e.data).toMatchObject({ list: [1, true, 1.5], map: { "k.x": [] }, raw: "aGk=", big: "9007199254740993", neg: -5, empty: null });
  });

  it("refuses a record nested past maxDepth or over maxBytes, and keeps the others", () => {
    let deep: Record<string, unknown> = { stringValue: "x" };
    for (let i = 0; i < 5; i++) deep = { arrayValue: { values: [deep] } };
    const req = logsFromJson({
      resourceLogs: [
        { scopeLogs: [{ logRecords: [{ body: { stringValue: "ok" } }, { attributes: [{ key: "deep", value: deep }] }, { body: { stringValue: "y".repeat(10_001) } }] }] },
      ],
    });
    const { events, rejected, firstError } = mapLogs(req, limits);
    expect(events.map((e) => e.text)).toEqual(["ok"]);
    expect(rejected).toBe(2);
    expect(firstError).toBe('resourceLogs[0].scopeLogs[0].logRecords[1]: attribute "deep" nests arrays/kvlists deeper than maxValueDepth (4)');
  });

  it("maps every severity number to a CONTRACT 1 name, and 0 by its text", () => {
    const names = Array.from({ length: 24 }, (_, i) => severityName(i + 1));
    expect(names).toEqual([
      ...Array(8).fill("debug"),
      "info", "notice", "notice", "notice",
      "warning", "warning", "warning", "warning",
      "err", "crit", "alert", "alert",
      "emerg", "emerg", "emerg", "emerg",
    ]);
    expect(severityName(0)).toBeUndefined();
    expect(mapLogs(oneRecord({ severityText: "ERROR" }), limits).events[0].data.severity).toBe("err");
  });

  it("formats times as Date#toISOString does (property)", () => {
    const times = new IsoTimes();
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 253_402_300_799_999 }), (ms) => {
        expect(times.format(ms + 0.5)).toBe(new Date(ms).toISOString());
      }),
    );
    expect(times.format(253_402_300_800_000)).toBeUndefined();
  });

  it("camelCases dotted keys", () => {
    expect(["client.address", "http.request.method", "plain", "a..b", "x."].map(dottedToCamel)).toEqual(["clientAddress", "httpRequestMethod", "plain", "aB", "x"]);
  });
});

describe("spans (CONTRACT 10)", () => {
  it("maps a span and its events", () => {
    const d = decodeJson(
      tracesType,
      "traces",
      Buffer.from(
        JSON.stringify({
          resourceSpans: [
            {
              resource: { attributes: [str("service.name", "mail")] },
              scopeSpans: [
                {
                  spans: [
                    {
                      traceId: "5B8EFFF798038103D269B633813FC60C",
                      spanId: "eee19b7ec3c1b174",
                      parentSpanId: "eee19b7ec3c1b173",
                      name: "smtp.session",
                      kind: 2,
                      startTimeUnixNano: "1732445000000000000",
                      endTimeUnixNano: "1732445000250500000",
                      attributes: [str("remote.ip", "192.0.2.7")],
                      status: { code: 2, message: "boom" },
                      events: [{ timeUnixNano: "1732445000100000000", name: "rcpt", attributes: [str("rcpt.to", "a@example.org")] }],
                    },
                  ],
                },
              ],
            },
          ],
        }),
      ),
    );
    if (!d.ok) throw new Error(d.details);
    const { events } = mapTraces(d.message as TracesRequest, limits);
    const ids = { traceId: "5b8efff798038103d269b633813fc60c", spanId: "eee19b7ec3c1b174" };
    expect(events).toEqual([
      {
        type: "otel.span",
        text: "smtp.session",
        createdAt: "2024-11-24T10:43:20.000Z",
        data: { remoteIp: "192.0.2.7", name: "smtp.session", ...ids, parentSpanId: "eee19b7ec3c1b173", kind: "server", durationMs: 250.5, status: "error", statusMessage: "boom", resource: { serviceName: "mail" } },
      },
      { type: "otel.span-event", text: "rcpt", createdAt: "2024-11-24T10:43:20.100Z", data: { rcptTo: "a@example.org", name: "rcpt", ...ids, resource: { serviceName: "mail" } } },
    ]);
  });
});

describe("decoding", () => {
  it("names the place of a bad id, a bad type and bad JSON", () => {
    const bad = (v: unknown) => decodeJson(logsType, "logs", Buffer.from(typeof v === "string" ? v : JSON.stringify(v)));
    expect(bad({ resourceLogs: [{ scopeLogs: [{ logRecords: [{}, { traceId: "xyz" }] }] }] })).toEqual({
      ok: false,
      details: 'resourceLogs[0].scopeLogs[0].logRecords[1].traceId: "xyz" is not 32 hex digits',
    });
    expect(bad({ resourceLogs: [{ scopeLogs: 5 }] })).toEqual({ ok: false, details: "resourceLogs[0].scopeLogs: expected an array, got number" });
    expect(bad({ resourceLogs: [{ scopeLogs: [{ logRecords: [{ body: "text" }] }] }] })).toMatchObject({ ok: false, details: expect.stringContaining("LogRecord.body: object expected") });
    expect(bad('{"resourceLogs": [')).toMatchObject({ ok: false, details: expect.stringMatching(/^the body is not valid JSON: .*position|JSON/) });
    expect(bad([])).toMatchObject({ ok: false });
  });

  it("ignores unknown fields in JSON and protobuf", () => {
    const d = decodeJson(logsType, "logs", Buffer.from(JSON.stringify({ future: 1, resourceLogs: [{ scopeLogs: [{ logRecords: [{ body: { stringValue: "x" }, newField: {} }] }] }] })));
    expect(d.ok && mapLogs(d.message as LogsRequest, limits).events[0].text).toBe("x");
    const bytes = Buffer.from(logsType.encode(logsType.fromObject({ resourceLogs: [{ scopeLogs: [{ logRecords: [{ body: { stringValue: "y" } }] }] }] })).finish());
    // Field 99, varint 1: unknown to the schema.
    const p = decodeProtobuf(logsType, Buffer.concat([bytes, Buffer.from([0x98, 0x06, 0x01])]));
    expect(p.ok && mapLogs(p.message as LogsRequest, limits).events[0].text).toBe("y");
  });

  it("never throws on any bytes: a message or a 400 reason (property)", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        const d = decodeProtobuf(logsType, Buffer.from(bytes));
        if (d.ok) mapLogs(d.message as LogsRequest, limits);
        else expect(d.details).toMatch(/^the body is not a valid ExportLogsServiceRequest in protobuf: /);
      }),
    );
  });

  it("refuses protobuf nested too deeply to decode instead of crashing", () => {
    // 50000 nested AnyValue{kvlist_value(6): KeyValueList{values(1): KeyValue{value(2): ...}}}:
    // far past any stack. Lengths first, from the inside out, then one concat.
    const headers: Buffer[] = [];
    let inner = 0;
    for (let i = 0; i < 50_000; i++) {
      const kv = 1 + varint(inner).length + inner;
      const list = 1 + varint(kv).length + kv;
      headers.push(Buffer.concat([Buffer.from([0x32]), varint(list), Buffer.from([0x0a]), varint(kv), Buffer.from([0x12]), varint(inner)]));
      inner = 1 + varint(list).length + list;
    }
    const body = Buffer.concat(headers.reverse());
    const d = decodeProtobuf(schema.status.root.lookupType("opentelemetry.proto.common.v1.AnyValue"), body);
    // protobufjs stops at protoc's recursion limit (100 messages deep).
    expect(d).toEqual({ ok: false, details: "the body is not a valid AnyValue in protobuf: max depth exceeded" });
  });
});

function varint(n: number): Buffer {
  const out: number[] = [];
  while (n > 0x7f) {
    out.push((n & 0x7f) | 0x80);
    n >>>= 7;
  }
  out.push(n);
  return Buffer.from(out);
}
