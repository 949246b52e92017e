import { describe, expect, it } from "vitest";
import { isPlainObject } from "./record.js";
import { plainObjectClass } from "./plain-objects.js";

describe("plainObjectClass", () => {
  const Made = plainObjectClass<Record<string, unknown>>();
  const filled = (o: Record<string, unknown>) => {
    for (let i = 0; i < 12; i++) o[`k${i}`] = i;
    return o;
  };

  it("makes objects no one can tell from literals", () => {
    const made = filled(new Made());
    const literal = filled({});
    expect(Object.getPrototypeOf(made)).toBe(Object.prototype);
    expect(made.constructor).toBe(Object);
    expect(isPlainObject(made)).toBe(true);
    expect(made).toStrictEqual(literal);
    expect(JSON.stringify(made)).toBe(JSON.stringify(literal));
    expect(Object.keys(made)).toEqual(Object.keys(literal));
    expect(structuredClone(made)).toStrictEqual(literal);
    expect({ ...made }).toStrictEqual(literal);
    expect(String(made)).toBe("[object Object]");
  });
});
