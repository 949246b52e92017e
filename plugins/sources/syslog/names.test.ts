import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { NameCache } from "./names.js";
import { parseSyslog, IsoClock, UTC, type ParseContext } from "./parse.js";
import { Text } from "./pri.js";

const NOW = Date.parse("2026-11-25T12:00:00.000Z");
const plain: ParseContext = { zone: UTC, now: () => NOW };

const textOf = (s: string): Text => {
  const b = Buffer.from(s);
  return new Text(b, 0, b.length);
};

describe("NameCache", () => {
  it("hands back the same string for the same bytes", () => {
    const names = new NameCache();
    const first = names.get(textOf("[req@32473 id"), 1, 10);
    const again = names.get(textOf("xx[req@32473 status"), 3, 12);
    expect(first).toBe("req@32473");
    expect(again).toBe("req@32473");
  });

  it("never mistakes one name for another of the same slot, length or neighbours", () => {
    // Few letters: the same names and slot collisions come up often; any bytes: the rest.
    const word = fc.oneof(fc.string({ unit: fc.constantFrom("a", "b", "@"), minLength: 1, maxLength: 5 }), fc.string({ unit: "binary", maxLength: 40 }));
    fc.assert(
      fc.property(fc.array(word, { maxLength: 30 }), (words) => {
        const names = new NameCache();
        for (const w of words) {
          const t = textOf(`<${w}>`);
          expect(names.get(t, 1, t.end - 1)).toBe(t.get(1, t.end - 1));
        }
      }),
    );
  });

  it("decodes names with invalid UTF-8 like the rest of the message", () => {
    const names = new NameCache();
    const b = Buffer.from([0x61, 0xff, 0x62]);
    const t = new Text(b, 0, b.length);
    expect(names.get(t, 0, 3)).toBe("a\uFFFDb");
    expect(names.get(t, 0, 3)).toBe("a\uFFFDb");
  });
});

describe("parsing with remembered names", () => {
  const sdMessage = fc
    .tuple(
      fc.array(fc.tuple(fc.stringMatching(/^[a-z@0-9.]{1,12}$/), fc.array(fc.tuple(fc.stringMatching(/^[a-zA-Z_]{1,8}$/), fc.string({ maxLength: 6 })), { maxLength: 3 })), { minLength: 1, maxLength: 3 }),
      fc.string({ maxLength: 20 }),
    )
    .map(([elements, msg]) => {
      const sd = elements.map(([id, params]) => `[${id}${params.map(([k, v]) => ` ${k}="${v.replace(/["\\\]]/g, "\\$&")}"`).join("")}]`).join("");
      return `<165>1 2026-11-25T11:00:00.123456+01:00 host app 42 ID7 ${sd} ${msg}`;
    });

  it("gives exactly the events of parsing without them, message after message", () => {
    fc.assert(
      fc.property(fc.array(sdMessage, { maxLength: 30 }), (messages) => {
        const cached: ParseContext = { ...plain, iso: new IsoClock(), names: new NameCache() };
        for (const m of messages) {
          const b = Buffer.from(m);
          const [fast, slow] = [parseSyslog(b, cached), parseSyslog(b, plain)];
          // JSON: same keys in the same order (toStrictEqual trips on an own "constructor" key).
          expect(JSON.stringify(fast)).toBe(JSON.stringify(slow));
          expect(fast).toEqual(slow);
        }
      }),
    );
  });

  it("gives the same event for any input, unparsed ones included, with the caches as without", () => {
    const valid = "<165>1 2026-11-25T11:00:00.123456+01:00 host app 42 ID7 [a@1 k=\"v\"][b x=\"1\"] msg";
    const input = fc.oneof(
      fc.string({ unit: "binary", maxLength: 120 }),
      // A valid message with one byte changed or cut short: stamps, names and SD near-misses.
      fc.tuple(fc.nat({ max: valid.length - 1 }), fc.string({ unit: "binary", maxLength: 2 })).map(([at, s]) => valid.slice(0, at) + s + valid.slice(at + 1)),
      fc.nat({ max: valid.length }).map((at) => valid.slice(0, at)),
    );
    fc.assert(
      fc.property(fc.array(input, { maxLength: 20 }), (messages) => {
        const cached: ParseContext = { ...plain, iso: new IsoClock(), names: new NameCache() };
        for (const m of messages) {
          const b = Buffer.from(m);
          const [fast, slow] = [parseSyslog(b, cached), parseSyslog(b, plain)];
          expect(JSON.stringify(fast)).toBe(JSON.stringify(slow));
          expect(fast).toEqual(slow);
        }
      }),
    );
  });

  it("keeps data a plain object", () => {
    const e = parseSyslog(Buffer.from('<13>1 - h a - - [x@1 k="v"] m'), { ...plain, names: new NameCache() });
    expect(Object.getPrototypeOf(e.data)).toBe(Object.prototype);
    expect(e.data.constructor).toBe(Object);
    expect(JSON.stringify(e.data)).toBe('{"facility":"user","severity":"notice","version":1,"hostname":"h","appName":"a","structuredData":{"x@1":{"k":"v"}},"message":"m"}');
  });
});
