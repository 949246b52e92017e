import { describe, expect, it } from "vitest";
import { livetap, tempDir, writeConfig } from "./harness.js";

const MINIMAL = '{"sources":{"d":{"type":"demo"}},"sinks":{"b":{"type":"blackhole","inputs":["d"]}}';

describe("validate on hostile configs", () => {
  it("a 200,000-deep array: the path and the bound, not a stack overflow", async () => {
    const levels = 200_000;
    const file = writeConfig(tempDir(), `${MINIMAL},"x":${"[".repeat(levels)}${"]".repeat(levels)}}`);
    const r = livetap(["validate", "--config", file]);
    expect(await r.exited).toBe(1);
    expect(r.stderr()).toBe(`x${"[0]".repeat(64)}: nested deeper than 64\n`);
  });

  it("20,000 unknown top-level keys: each reported, in file order", async () => {
    const keys = Array.from({ length: 20_000 }, (_, i) => `"k${i}":${i}`).join(",");
    const file = writeConfig(tempDir(), `${MINIMAL},${keys}}`);
    const r = livetap(["validate", "--config", file]);
    expect(await r.exited).toBe(1);
    const lines = r.stderr().trim().split("\n");
    expect(lines).toHaveLength(20_000);
    expect(lines[0]).toMatch(/^k0: unknown key/);
    expect(lines[19_999]).toMatch(/^k19999: unknown key/);
  });
});
