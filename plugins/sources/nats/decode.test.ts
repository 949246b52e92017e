import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { isEventType } from "../../../core/kit.js";
import { decodeMessage, MAX_UNPARSED_BYTES } from "./decode.js";

const bytes = (s: string) => new TextEncoder().encode(s);

describe("decodeMessage", () => {
  it("an event's JSON is that event under the stream's id", () => {
    const e = decodeMessage(bytes(JSON.stringify({ id: "9-9", type: "smtp.x", createdAt: "2026-11-24T11:50:00.123Z", text: "t", details: "d", data: { a: 1 } })), "5-1", "s.x");
    expect(e).toEqual({ id: "5-1", type: "smtp.x", createdAt: "2026-11-24T11:50:00.123Z", text: "t", details: "d", data: { a: 1 } });
  });

  it("anything else is nats.unparsed with the raw text, why, and the subject", () => {
    expect(decodeMessage(bytes("{oops"), "5-2", "s.y")).toMatchObject({ id: "5-2", type: "nats.unparsed", data: { message: "{oops", subject: "s.y" } });
    expect(decodeMessage(bytes("[1]"), "5-3", "s").data.parseError).toBe("not a JSON object");
    expect(decodeMessage(bytes('{"type":"Not A Type"}'), "5-4", "s").data.parseError).toBe('"type" "Not A Type" is not an event type');
  });

  it("keeps at most MAX_UNPARSED_BYTES of raw text, at a character boundary", () => {
    const raw = "é".repeat(MAX_UNPARSED_BYTES); // 2 bytes each
    const e = decodeMessage(bytes(raw), "5-5", "s");
    expect(Buffer.byteLength(e.data.message as string)).toBeLessThanOrEqual(MAX_UNPARSED_BYTES);
    expect((e.data.message as string).endsWith("é")).toBe(true);
    expect(e.data).toMatchObject({ truncated: true, bytes: 2 * MAX_UNPARSED_BYTES });
  });

  it("any bytes: one event with a valid type and the given id, never a throw", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (b) => {
        const e = decodeMessage(b, "1-1", "s");
        expect(e.id).toBe("1-1");
        expect(isEventType(e.type)).toBe(true);
      }),
    );
  });
});
