import { describe, expect, it } from "vitest";
import { readdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { builtinPlugins } from "../plugins/index.js";
import { PluginRegistry } from "../core/registry.js";
import { loadConfigFile } from "../core/config/index.js";

const EXAMPLES = resolve(import.meta.dirname, "../examples");
const configs = [
  ...readdirSync(EXAMPLES).filter((f) => f.endsWith(".json")).map((f) => join(EXAMPLES, f)),
  ...readdirSync(join(EXAMPLES, "operators")).filter((f) => f.endsWith(".json")).map((f) => join(EXAMPLES, "operators", f)),
  ...readdirSync(join(EXAMPLES, "cluster")).filter((f) => f.endsWith(".json")).map((f) => join(EXAMPLES, "cluster", f)),
];

// The examples are documentation users copy: each must stay a valid config (static check; the
// custom-plugin one loads the example package built by `npm run build`).
describe.each(configs.map((f) => [f.slice(EXAMPLES.length + 1), f]))("examples/%s", (_name, file) => {
  it("is a valid config", async () => {
    const config = await loadConfigFile(file, new PluginRegistry().register(...builtinPlugins), { ...process.env });
    expect(config.components.length).toBeGreaterThan(1);
    expect(config.warnings).toEqual([]);
  });
});
