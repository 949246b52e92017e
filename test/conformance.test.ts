import { describe, expect, it } from "vitest";
import { builtinPlugins } from "../plugins/index.js";
import { conformance } from "../core/testing.js";

// Benthos StreamTestOpenClose / OTel lifecycle tests, from `livetap/testing` as users run
// them: each plugin's own `example` is what is started, no table of options kept here.
for (const definition of builtinPlugins) conformance(definition);

describe("built-in plugins", () => {
  it("each carries an example", () => {
    expect(builtinPlugins.filter((d) => d.example === undefined).map((d) => `${d.kind} ${d.type}`)).toEqual([]);
  });
});
