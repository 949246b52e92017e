/**
 * The package's entries as a user's plugin imports them (`livetap`, `livetap/kit`, through
 * package.json `exports` into dist/, so build first): the root stays a small contract.
 */
import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";

const ROOT = resolve(import.meta.dirname, "..");
const MAX_ROOT_NAMES = 30;

describe("public API", () => {
  it(`the root export has at most ${MAX_ROOT_NAMES} runtime names, the plugin contract`, async () => {
    const root = Object.keys(await import("livetap"));
    expect(root.length).toBeLessThanOrEqual(MAX_ROOT_NAMES);
    for (const name of ["defineSource", "defineOperator", "defineSink", "PluginProblems", "inject", "injectable", "OPTIONS", "LOGGER", "METRICS", "SCHEDULER", "CHECKPOINTS", "HTTP_SERVERS", "DELIVERY", "DeliveryOptionsShape"]) {
      expect(root, name).toContain(name);
    }
  });

  it("the toolkit is livetap/kit, not the root", async () => {
    const root = Object.keys(await import("livetap"));
    const kit = Object.keys(await import("livetap/kit"));
    for (const name of ["recordToEvent", "parseAddress", "HostPortOption", "BoundedWriter", "utf8Boundary", "SecretSet", "inflateBody", "hashPassword", "didYouMean", "compileFilter", "compileEventCondition", "dropCounter"]) {
      expect(kit, name).toContain(name);
      expect(root, name).not.toContain(name);
    }
    expect(kit.filter((name) => root.includes(name))).toEqual([]);
  });

  it("both entries name every export (no `export *`, so each is read in one sitting)", () => {
    for (const entry of ["core/index.ts", "core/kit.ts"]) {
      expect(readFileSync(join(ROOT, entry), "utf8"), entry).not.toMatch(/export\s+(type\s+)?\*/);
    }
  });
});
