import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { IsoClock, isoString } from "./time.js";

const MIN = -62_167_219_200_000;
const MAX = 253_402_300_799_999;

describe("IsoClock", () => {
  it("formats any sequence of instants exactly as toISOString, repeats and second jumps included", () => {
    const instant = fc.oneof(
      fc.integer({ min: MIN, max: MAX }),
      fc.integer({ min: 1_764_000_000_000, max: 1_764_000_003_000 }), // a few nearby seconds: cache hits
      fc.constantFrom(MIN, MAX, -1, 0, 999, 1000, -1000, -1001),
    );
    fc.assert(
      fc.property(fc.array(instant, { maxLength: 200 }), (instants) => {
        const clock = new IsoClock();
        for (const ms of instants) expect(clock.format(ms)).toBe(new Date(ms).toISOString());
      }),
    );
  });

  it("gives undefined outside years 0000-9999, like isoString", () => {
    const clock = new IsoClock();
    for (const ms of [MIN - 1, MAX + 1, Number.NaN, Infinity]) {
      expect(clock.format(ms)).toBeUndefined();
      expect(isoString(ms)).toBeUndefined();
    }
  });
});
