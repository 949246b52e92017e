import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { EventIdGenerator, eventToJson, isEventType, toCreatedAt } from "./event.js";

describe("event ids", () => {
  it("are unique and increase part by part even when the clock goes back", () => {
    const ids = new EventIdGenerator();
    const seen = [1000, 1000, 999, 1005, 1003, 2000].map((t) => ids.next(t));
    expect(new Set(seen).size).toBe(seen.length);
    const parts = seen.map((id) => id.split("-").map(Number));
    for (let i = 1; i < parts.length; i++) {
      const [a, b] = [parts[i - 1], parts[i]];
      expect(b[0] > a[0] || (b[0] === a[0] && b[1] > a[1])).toBe(true);
    }
    expect(seen[0]).toMatch(/^1000-\d+$/);
  });
});

describe("createdAt", () => {
  it.each([
    ["2026-11-24T11:50:00.123Z", "2026-11-24T11:50:00.123Z"],
    ["2026-11-24T11:50:00Z", "2026-11-24T11:50:00.000Z"],
    ["2026-11-24T12:50:00.123456+01:00", "2026-11-24T11:50:00.123Z"],
    ["2026-11-24 11:50:00.5Z", "2026-11-24T11:50:00.500Z"],
    [1732449000123, "2024-11-24T11:50:00.123Z"],
    [8e15, undefined], // year 255479: not an RFC 3339 four-digit year
    ["+010000-01-01T00:00:00Z", undefined],
    ["yesterday", undefined],
    ["2026-13-45T99:00:00Z", undefined],
    [null, undefined],
  ])("%s -> %s", (input, out) => {
    expect(toCreatedAt(input)).toBe(out);
  });

  it("never throws and is always canonical when defined", () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.double(), fc.date({ noInvalidDate: true }).map((d) => d.toISOString())), (v) => {
        const out = toCreatedAt(v);
        if (out !== undefined) expect(out).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      }),
    );
  });
});

describe("event types", () => {
  it.each([
    ["smtp.connection-start", true],
    ["syslog.message", true],
    ["Smtp.Start", false],
    ["smtp..x", false],
    ["", false],
    ["a b", false],
  ])("%s valid: %s", (t, ok) => expect(isEventType(t)).toBe(ok));
});

describe("eventToJson", () => {
  const base = { id: "1-1", type: "a.b", createdAt: "2026-01-01T00:00:00.000Z" };
  it("is plain JSON for plain data", () => {
    expect(JSON.parse(eventToJson({ ...base, data: { n: 1 } }))).toEqual({ ...base, data: { n: 1 } });
  });
  it("writes BigInt as text and replaces circular data, keeping the envelope", () => {
    expect(JSON.parse(eventToJson({ ...base, data: { big: 12345678901234567890n } })).data).toEqual({ big: "12345678901234567890" });
    const loop: Record<string, unknown> = {};
    loop.self = loop;
    expect(JSON.parse(eventToJson({ ...base, data: loop }))).toEqual({ ...base, data: { unserializable: true } });
  });
});
