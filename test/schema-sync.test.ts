import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { builtinPlugins } from "../plugins/index.js";
import { PluginRegistry } from "../core/registry.js";
import { configSchemaText, optionsJsonSchema, optionsReference, optionTable } from "../core/config/index.js";
import { replaceReference } from "../core/cli/schemas.js";

const ROOT = resolve(import.meta.dirname, "..");
const SCHEMA_FILE = join(ROOT, "schemas", "livetap.schema.json");

// CONTRACT 2: the checked-in JSON Schema is generated from the plugins and never drifts.
describe("schemas/livetap.schema.json", () => {
  it("equals the schema generated from the built-in plugins", () => {
    const expected = configSchemaText(new PluginRegistry().register(...builtinPlugins));
    const actual = existsSync(SCHEMA_FILE) ? readFileSync(SCHEMA_FILE, "utf8") : "(missing)";
    expect(actual, "schemas/livetap.schema.json is out of date: run `npm run schemas`").toBe(expected);
  });

  it("documents every option of every built-in plugin", () => {
    const undocumented = builtinPlugins.flatMap((d) =>
      optionTable(d)
        .filter((row) => row.description.trim() === "")
        .map((row) => `${d.kind} ${d.type}: ${row.option}`),
    );
    expect(undocumented, "add .describe() to these options").toEqual([]);
  });

  it("has no built-in option named like a component key", () => {
    // `type` and `inputs` are read by core before the options, so such an option is unreachable.
    const clashes = builtinPlugins.flatMap((d) => {
      const properties = (optionsJsonSchema(d).properties ?? {}) as Record<string, unknown>;
      return ["type", "inputs"].filter((k) => k in properties).map((k) => `${d.kind} ${d.type}: ${k}`);
    });
    expect(clashes, "rename these options (the config key is the component's own)").toEqual([]);
  });
});

describe("README plugin reference", () => {
  it("equals the reference generated from the built-in plugins' option schemas", () => {
    const readme = readFileSync(join(ROOT, "README.md"), "utf8");
    const registry = new PluginRegistry().register(...builtinPlugins);
    expect(readme, "README.md's plugin reference is stale: run `npm run schemas`").toBe(replaceReference(readme, optionsReference(registry)));
  });
});
