import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { parseBody, parseMediaType } from "./body.js";

const record = { defaultType: "webhook.event", extra: { remoteIp: "192.0.2.7" } };
const parse = (contentType: string | undefined, body: string | Buffer) => parseBody(contentType, typeof body === "string" ? Buffer.from(body) : body, record);

describe("webhook body parsing", () => {
  it("maps a JSON object to one event: its type and createdAt taken out, remoteIp added", () => {
    expect(parse("application/json", '{"type":"app.login","createdAt":"2026-11-24T11:50:00.123Z","user":"ops","remoteIp":"10.0.0.1"}')).toEqual({
      ok: true,
      events: [{ type: "app.login", createdAt: "2026-11-24T11:50:00.123Z", data: { user: "ops", remoteIp: "192.0.2.7" } }],
    });
  });

  it("maps a JSON array of objects to one event each, in order", () => {
    const r = parse("application/json; charset=utf-8", '[{"n":1},{"n":2,"type":"a.b"}]');
    expect(r).toEqual({
      ok: true,
      events: [
        { type: "webhook.event", data: { n: 1, remoteIp: "192.0.2.7" } },
        { type: "a.b", data: { n: 2, remoteIp: "192.0.2.7" } },
      ],
    });
  });

  it("413 past maxEvents with the whole count, blank lines not counted; exactly maxEvents is fine", () => {
    const max = (body: string, type: string, n: number) => parseBody(type, Buffer.from(body), record, n);
    expect(max('{"a":1}\n\n{"a":2}\n', "application/x-ndjson", 2)).toMatchObject({ ok: true });
    expect(max('{"a":1}\n\n{"a":2}\n \n{"a":3}\n{"a":4}', "application/x-ndjson", 2)).toEqual({
      ok: false,
      status: 413,
      details: "the request holds 4 events, more than maxPendingEvents (2) can ever hold: send at most 2 per request",
    });
    expect(max("a\nb\nc", "text/plain", 2)).toMatchObject({ status: 413, details: expect.stringMatching(/holds 3 events/) });
    expect(max("[{},{},{}]", "application/json", 2)).toMatchObject({ status: 413, details: expect.stringMatching(/holds 3 events/) });
    // A malformed line before the bound is still that line's 400.
    expect(max('{"a":1}\nnope\n{"a":3}', "application/x-ndjson", 2)).toMatchObject({ status: 400, line: 2 });
  });

  it("honours typeField and timeFields", () => {
    const r = parseBody("application/json", Buffer.from('{"kind":"PushEvent","ts":1732445000123,"createdAt":"x"}'), {
      defaultType: "gh.event",
      typeField: "kind",
      timeFields: ["ts"],
    });
    expect(r).toEqual({ ok: true, events: [{ type: "push-event", createdAt: "2024-11-24T10:43:20.123Z", data: { createdAt: "x" } }] });
  });

  it("rejects malformed, empty and non-object JSON with 400", () => {
    expect(parse("application/json", "")).toMatchObject({ ok: false, status: 400, details: "empty body: nothing to ingest" });
    expect(parse("application/json", " \r\n\t ")).toMatchObject({ ok: false, status: 400 });
    expect(parse("application/json", "[]")).toMatchObject({ ok: false, status: 400, details: "empty array: nothing to ingest" });
    expect(parse("application/json", '{"a":')).toMatchObject({ ok: false, status: 400, details: expect.stringMatching(/^malformed JSON: /) });
    expect(parse("application/json", "42")).toMatchObject({ ok: false, status: 400, details: "body is a number: send a JSON object or an array of objects" });
    expect(parse("application/json", '[{"a":1},"x"]')).toMatchObject({ ok: false, status: 400, details: "body[1] is a string, not a JSON object" });
    expect(parse("application/json", '[{"a":1},null]')).toMatchObject({ ok: false, status: 400, details: "body[1] is null, not a JSON object" });
  });

  it("parses NDJSON, skipping blank lines, with LF or CRLF endings", () => {
    const r = parse("application/x-ndjson", '{"n":1}\r\n\r\n  \n{"n":2}\n{"n":3}');
    expect(r.ok && r.events.map((e) => e.data.n)).toEqual([1, 2, 3]);
  });

  it("names the 1-based line of a bad NDJSON line, blank lines counted", () => {
    expect(parse("application/x-ndjson", '{"n":1}\n\n{"n":\n{"n":4}')).toMatchObject({ ok: false, status: 400, line: 3, details: expect.stringMatching(/^line 3: malformed JSON/) });
    expect(parse("application/x-ndjson", '{"n":1}\n[1]\n')).toMatchObject({ ok: false, status: 400, line: 2, details: "line 2 is an array, not a JSON object" });
    expect(parse("application/x-ndjson", "\n\n")).toMatchObject({ ok: false, status: 400, details: "empty body: nothing to ingest" });
  });

  it("turns every text line into a { message } event, even one that looks like JSON", () => {
    const r = parse("text/plain;charset=UTF-8", 'first line\r\n\n  \nsecond {x}\n{"type":"app.up","v":1}\n');
    expect(r).toEqual({
      ok: true,
      events: [
        { type: "webhook.event", data: { message: "first line", remoteIp: "192.0.2.7" } },
        { type: "webhook.event", data: { message: "second {x}", remoteIp: "192.0.2.7" } },
        { type: "webhook.event", data: { message: '{"type":"app.up","v":1}', remoteIp: "192.0.2.7" } },
      ],
    });
  });

  it("strips a byte order mark", () => {
    expect(parse("text/plain", "\ufeffhello")).toMatchObject({ ok: true, events: [{ data: { message: "hello" } }] });
    expect(parse("application/json", '\ufeff{"a":1}')).toMatchObject({ ok: true, events: [{ data: { a: 1 } }] });
  });

  it("rejects invalid UTF-8 with 400, naming the line for line formats", () => {
    const bad = Buffer.concat([Buffer.from('{"a":1}\n{"b":"'), Buffer.from([0xc3, 0x28]), Buffer.from('"}\n')]);
    expect(parse("application/x-ndjson", bad)).toMatchObject({ ok: false, status: 400, line: 2, details: "body is not valid UTF-8" });
    expect(parse("application/json", Buffer.from([0x7b, 0xff, 0x7d]))).toEqual({ ok: false, status: 400, details: "body is not valid UTF-8" });
  });

  it("decodes another declared charset", () => {
    expect(parse("text/plain; charset=ISO-8859-1", Buffer.from([0x63, 0x61, 0x66, 0xe9]))).toMatchObject({ ok: true, events: [{ data: { message: "café" } }] });
    expect(parse('application/json; charset="utf-8"', '{"a":1}')).toMatchObject({ ok: true });
  });

  it("answers 415 for other or missing content types and unknown charsets", () => {
    expect(parse(undefined, '{"a":1}')).toMatchObject({ ok: false, status: 415, details: expect.stringMatching(/^missing content-type/) });
    expect(parse("application/xml", "<a/>")).toMatchObject({ ok: false, status: 415, details: expect.stringContaining('"application/xml" is not accepted') });
    expect(parse("application/jsonx", "{}")).toMatchObject({ ok: false, status: 415 });
    expect(parse("text/plain; charset=klingon", "x")).toMatchObject({ ok: false, status: 415, details: 'charset "klingon" is not supported: send UTF-8' });
  });

  it("accepts the media type in any case, with extra parameters", () => {
    expect(parseMediaType("Application/X-NDJSON; Charset=UTF-8; foo=bar")).toEqual({ kind: "ndjson", charset: "utf-8" });
  });

  it("never throws: any bytes give events or a 400/415", () => {
    fc.assert(
      fc.property(fc.constantFrom("application/json", "application/x-ndjson", "text/plain", "image/png"), fc.uint8Array({ maxLength: 300 }), (ct, bytes) => {
        const r = parse(ct, Buffer.from(bytes));
        if (r.ok) expect(r.events.length).toBeGreaterThan(0);
        else expect([400, 415]).toContain(r.status);
      }),
    );
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.json(), fc.string()), { maxLength: 8 }), (lines) => {
        const r = parse("application/x-ndjson", lines.join("\n"));
        if (!r.ok && r.line !== undefined) expect(r.line).toBeLessThanOrEqual(lines.length);
      }),
    );
  });

  it("text: one event per non-blank line, whatever the lines are", () => {
    fc.assert(
      fc.property(fc.array(fc.string({ unit: "grapheme" }).filter((s) => !s.includes("\n") && !s.includes("\r") && !s.trimStart().startsWith("{")), { minLength: 1, maxLength: 10 }), (lines) => {
        const r = parse("text/plain", lines.join("\n"));
        const kept = lines.filter((l) => l.trim() !== "");
        if (kept.length === 0) expect(r).toMatchObject({ ok: false, status: 400 });
        else expect(r.ok && r.events.map((e) => e.data.message)).toEqual(kept);
      }),
    );
  });
});
