import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { lineColumn, locateJsonError, parseJsonText } from "./json-text.js";

const parses = (text: string): boolean => {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
};

/** JSON texts with one character deleted, replaced or inserted: mostly invalid, near valid. */
const nearlyJson = fc
  .tuple(fc.json(), fc.nat(), fc.constantFrom("", ",", "}", "]", '"', ":", "'", "/", "\n", "x", "0", " "))
  .map(([text, at, ch]) => {
    const i = at % (text.length + 1);
    return at % 2 === 0 ? text.slice(0, i) + ch + text.slice(i + 1) : text.slice(0, i) + ch + text.slice(i);
  });

describe("locateJsonError", () => {
  it("agrees with JSON.parse on what is valid", () => {
    fc.assert(
      fc.property(fc.oneof(fc.json(), nearlyJson, fc.string()), (text) => {
        expect(locateJsonError(text) === undefined).toBe(parses(text));
      }),
      { numRuns: 2000 },
    );
  });

  it("points inside the text or at its end", () => {
    fc.assert(
      fc.property(nearlyJson, (text) => {
        const located = locateJsonError(text);
        if (located) expect(located.offset).toBeLessThanOrEqual(text.length);
      }),
    );
  });
});

describe("parseJsonText", () => {
  it("returns the value of valid JSON", () => {
    expect(parseJsonText('{"a":[1,true,null]}', "c.json")).toEqual({ ok: true, value: { a: [1, true, null] } });
  });

  it.each([
    ['{"a": 1 "b": 2}', "line 1, column 9: expected ',' or '}'"],
    ["[1, 2", "line 1, column 6: expected ',' or ']'"],
    ["[1,]", "line 1, column 4: trailing comma before ']'"],
    ['{"a" 1}', "line 1, column 6: expected ':' after the property name"],
    ['{"a": tru}', "line 1, column 7: expected a value, got 't'"],
    ['{"a": "\\x"}', "line 1, column 8: bad escape '\\x' in string"],
    ['{"a": "x\ny"}', "line 1, column 9: unterminated string (line break inside a string)"],
    ['{"a": 01}', "line 1, column 8: expected ',' or '}'"],
    ['{"a": -}', "line 1, column 7: invalid number"],
    ["/* c */ {}", "line 1, column 1: comments are not allowed in JSON"],
  ])("%j: %s", (text, where) => {
    expect(parseJsonText(text, "c.json")).toEqual({ ok: false, message: `c.json: invalid JSON at ${where}` });
  });
});

describe("lineColumn", () => {
  it.each([
    ["abc", 0, 1, 1],
    ["abc", 3, 1, 4],
    ["a\nbc", 3, 2, 2],
    ["a\r\nbc", 4, 2, 2],
    ["\n\n", 2, 3, 1],
  ])("%j at %i is line %i, column %i", (text, offset, line, column) => {
    expect(lineColumn(text, offset)).toEqual({ line, column });
  });
});
