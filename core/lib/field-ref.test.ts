import { describe, expect, it } from "vitest";
import fc from "fast-check";
import type { LiveEvent } from "../event.js";
import { FieldRef, fieldReader, fieldRefProblem } from "./field-ref.js";

const event: LiveEvent = {
  id: "1-1",
  type: "smtp.connection-start",
  createdAt: "2026-11-24T11:50:00.123Z",
  text: "SMTP connection started",
  data: { type: "inner", text: "t", id: 7, remoteIp: "192.0.2.7", user: { id: "u1", deep: { x: [1, 2] } }, "user.id": "flat", data: "d" },
};

describe("field references (CONTRACT 6)", () => {
  it.each([
    ["type", "smtp.connection-start"],
    ["text", "SMTP connection started"],
    ["id", "1-1"],
    ["data.type", "inner"],
    ["data.text", "t"],
    ["data.id", 7],
    ["remoteIp", "192.0.2.7"],
    ["data.remoteIp", "192.0.2.7"],
    ["user.id", "u1"],
    ["data.user.id", "u1"],
    ["user.deep.x.1", 2],
    ["data", "d"],
    ["data.data", "d"],
  ])("%s reads %j", (ref, expected) => {
    expect(fieldReader(ref)(event)).toEqual(expected);
  });

  it.each(["missing", "user.missing", "remoteIp.length", "user.deep.x.9", "constructor", "user.__proto__", "toString"])("%s is absent, never an error", (ref) => {
    expect(fieldReader(ref)(event)).toBeUndefined();
  });

  it("an absent details or data is simply absent", () => {
    const bare = { id: "1", type: "a.b", createdAt: "2026-11-24T11:50:00.123Z", data: undefined } as unknown as LiveEvent;
    expect(fieldReader("a.b.c")(bare)).toBeUndefined();
    expect(fieldReader("text")(bare)).toBeUndefined();
  });

  it.each(["", ".", "a.", ".a", "a..b", "data.", "x\ny", "a".repeat(257)])("%j is refused with a reason", (ref) => {
    expect(fieldRefProblem(ref)).toEqual(expect.any(String));
    expect(FieldRef.safeParse(ref).success).toBe(false);
    expect(() => fieldReader(ref)).toThrow();
  });

  it("any valid reference reads any event without throwing", () => {
    const part = fc.string({ minLength: 1, maxLength: 8 }).filter((s) => !s.includes(".") && [...s].every((c) => c.charCodeAt(0) > 0x1f && c.charCodeAt(0) !== 0x7f));
    const ref = fc.array(part, { minLength: 1, maxLength: 5 }).map((p) => p.join("."));
    fc.assert(
      fc.property(ref, fc.jsonValue(), (r, data) => {
        expect(fieldRefProblem(r)).toBeUndefined();
        fieldReader(r)({ ...event, data: data as Record<string, unknown> });
      }),
    );
  });
});
