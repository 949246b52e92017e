import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Ajv2020 } from "ajv/dist/2020.js";
import { afterAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { defineOperator, defineSource, type PluginDefinition } from "../plugin.js";
import { PluginRegistry } from "../registry.js";
import { configJsonSchema, configSchemaText, optionsReference, writeConfigSchema } from "./index.js";
import { testPlugins } from "./test-plugins.js";

type Schema = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const registry = (plugins: PluginDefinition[] = testPlugins): PluginRegistry => new PluginRegistry().register(...plugins);
const schemaOf = (plugins?: PluginDefinition[]): Schema => configJsonSchema(registry(plugins)) as Schema;
/** The oneOf entry of a type (its `type` const is in its properties, or in each union branch's). */
const entry = (schema: Schema, section: string, type: string): Schema =>
  schema.properties[section].additionalProperties.oneOf.find((s: Schema) => {
    const properties = s.properties ?? s.anyOf?.[0]?.properties ?? s.oneOf?.[0]?.properties ?? {};
    return properties.type?.const === type;
  });

/** A validator for config files from the generated schema, as an editor would use it. */
function validatorOf(schema: Schema): (config: unknown) => boolean {
  return new Ajv2020({ strict: false, allErrors: true }).compile(schema);
}

const VALID = {
  $schema: "./schemas/livetap.schema.json",
  plugins: [],
  dataDir: "./state",
  sources: { demo: { type: "tick", rate: 10 }, p: { type: "plain", port: 1 } },
  operators: { "no-debug": { type: "keep", inputs: ["demo", "p"], match: "x" } },
  sinks: { live: { type: "sse", inputs: ["no-debug"], address: "127.0.0.1:8080", auth: { bearer: ["t"] } }, out: { type: "console", inputs: ["demo"] } },
};

class Nothing {}

describe("configJsonSchema", () => {
  it("is a draft 2020-12 schema of the whole file", () => {
    const schema = schemaOf();
    expect(schema.$schema).toBe("https://json-schema.org/draft/2020-12/schema");
    expect(Object.keys(schema.properties)).toEqual(["$schema", "plugins", "dataDir", "sources", "operators", "sinks"]);
    expect(schema.required).toEqual(["sources", "sinks"]);
    expect(schema.additionalProperties).toBe(false);
    expect(schema.properties.dataDir.default).toBe("./.livetap");
    expect(schema.properties.sources.propertyNames).toEqual({ pattern: "^[A-Za-z0-9_-]{1,64}$" });
  });

  it("has one entry per type, sorted, with type, inputs and the plugin's options", () => {
    const schema = schemaOf();
    const types = (section: string) => schema.properties[section].additionalProperties.oneOf.map((s: Schema) => s.properties.type.const);
    expect(types("sources")).toEqual(["lines", "plain", "tick"]);
    expect(types("operators")).toEqual(["keep", "pass"]);
    expect(types("sinks")).toEqual(["blackhole", "console", "file", "sse"]);

    const sse = entry(schema, "sinks", "sse");
    expect(sse.description).toBe("Serves events over SSE.");
    expect(Object.keys(sse.properties)).toEqual(["type", "inputs", "address", "auth"]);
    expect(sse.properties.inputs).toMatchObject({ type: "array", items: { type: "string" }, minItems: 1 });
    expect(sse.required).toEqual(["type", "inputs", "address"]);
    expect(sse.additionalProperties).toBe(false);
    expect(sse.properties.auth.properties.bearer.description).toBe("Accepted bearer tokens.");

    const tick = entry(schema, "sources", "tick");
    expect(tick.properties.inputs).toBeUndefined();
    // Input side: an option with a default is optional and shows its default.
    expect(tick.required).toEqual(["type"]);
    expect(tick.properties.rate).toMatchObject({ type: "number", default: 5, maximum: 1000, description: "Events/s, at most 1000." });

    // A plain-JS plugin's JSON Schema is used as it is.
    expect(entry(schema, "sources", "plain").properties.port).toEqual({ type: "integer", minimum: 1, maximum: 65535, default: 9000, description: "TCP port." });
  });

  it("accepts a valid config and rejects what the loader rejects", () => {
    const validate = validatorOf(schemaOf());
    expect(validate(VALID)).toBe(true);
    const bad = (patch: (c: Schema) => void): boolean => {
      const c = structuredClone(VALID) as Schema;
      patch(c);
      return validate(c);
    };
    expect(bad((c) => (c.sinks.live.adress = "x"))).toBe(false);
    expect(bad((c) => (c.sinks.out.type = "consol"))).toBe(false);
    expect(bad((c) => delete c.sinks.out.inputs)).toBe(false);
    expect(bad((c) => (c.sinks.out.inputs = []))).toBe(false);
    expect(bad((c) => (c.sources.demo.inputs = ["p"]))).toBe(false);
    expect(bad((c) => (c.sources.demo.rate = "fast"))).toBe(false);
    expect(bad((c) => (c.sources["my source"] = { type: "tick" }))).toBe(false);
    expect(bad((c) => (c.sinks = {}))).toBe(false);
    expect(bad((c) => (c.extra = 1))).toBe(false);
  });

  it("puts type and inputs in every branch of a union of option shapes", () => {
    const net = defineOperator({
      type: "net",
      description: "Per-mode options.",
      options: z.discriminatedUnion("mode", [
        z.strictObject({ mode: z.literal("udp").describe("UDP."), port: z.number().describe("Port.") }),
        z.strictObject({ mode: z.literal("tcp").describe("TCP."), maxConnections: z.int().default(10).describe("Max.") }),
      ]),
      plugin: Nothing as never,
    });
    const schema = schemaOf([...testPlugins, net]);
    const validate = validatorOf(schema);
    const config = (op: Schema) => ({ sources: { s: { type: "tick" } }, operators: { n: op }, sinks: { o: { type: "blackhole", inputs: ["n"] } } });
    expect(validate(config({ type: "net", inputs: ["s"], mode: "udp", port: 1 }))).toBe(true);
    expect(validate(config({ type: "net", inputs: ["s"], mode: "tcp" }))).toBe(true);
    expect(validate(config({ type: "net", inputs: ["s"], mode: "tcp", port: 1 }))).toBe(false);
    expect(validate(config({ type: "net", mode: "udp", port: 1 }))).toBe(false);
    expect(entry(schema, "operators", "net").description).toBe("Per-mode options.");
  });

  it("keeps a recursive options schema valid when embedded", () => {
    type Node = { name: string; children?: Node[] };
    const Node: z.ZodType<Node> = z.strictObject({
      name: z.string().describe("Name."),
      get children() {
        return z.array(Node).optional().describe("Children.");
      },
    });
    const tree = defineSource({ type: "tree", description: "Recursive options.", options: Node, plugin: Nothing as never });
    const validate = validatorOf(schemaOf([...testPlugins, tree]));
    const config = (src: Schema) => ({ sources: { t: src }, sinks: { o: { type: "blackhole", inputs: ["t"] } } });
    expect(validate(config({ type: "tree", name: "a", children: [{ name: "b", children: [{ name: "c" }] }] }))).toBe(true);
    expect(validate(config({ type: "tree", name: "a", children: [{ name: "b", children: [{ nme: "c" }] }] }))).toBe(false);
  });

  it("keeps the component's type and inputs when a plugin has options of those names", () => {
    const clash = defineOperator({
      type: "clash",
      description: "Options named like component keys.",
      options: z.strictObject({ type: z.string().default("x").describe("Unreachable."), inputs: z.number().optional().describe("Unreachable.") }),
      plugin: Nothing as never,
    });
    const op = entry(schemaOf([...testPlugins, clash]), "operators", "clash");
    expect(op.properties.type).toEqual({ const: "clash" });
    expect(op.properties.inputs.type).toBe("array");
    expect(op.required).toEqual(["type", "inputs"]);
  });

  it("is the same whatever order the plugins were registered in", () => {
    expect(configSchemaText(registry([...testPlugins].reverse()))).toBe(configSchemaText(registry()));
  });

  it("allows no entries in a section without registered types", () => {
    const schema = schemaOf(testPlugins.filter((p) => p.kind !== "operator"));
    expect(schema.properties.operators.additionalProperties).toBe(false);
  });
});

describe("writeConfigSchema", () => {
  const dir = mkdtempSync(join(tmpdir(), "livetap-schema-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("writes the schema as 2-space JSON with a final newline, creating the folder", () => {
    const file = join(dir, "schemas", "livetap.schema.json");
    writeConfigSchema(registry(), file);
    const text = readFileSync(file, "utf8");
    expect(text).toBe(configSchemaText(registry()));
    expect(text.endsWith("}\n")).toBe(true);
    expect(JSON.parse(text)).toEqual(configJsonSchema(registry()));
  });
});

describe("optionsReference", () => {
  const md = optionsReference(registry());

  it("has a heading per kind and type, with the plugin's description", () => {
    const headings = md.split("\n").filter((l) => l.startsWith("#"));
    expect(headings).toEqual([
      "### Sources",
      "#### `lines`",
      "#### `plain`",
      "#### `tick`",
      "### Operators",
      "#### `keep`",
      "#### `pass`",
      "### Sinks",
      "#### `blackhole`",
      "#### `console`",
      "#### `file`",
      "#### `sse`",
    ]);
    expect(md).toContain("#### `tick`\n\nTicks.\n\n| option | type | default | description |\n|---|---|---|---|\n");
  });

  it("has a row per option with type, default and description", () => {
    expect(md).toContain("| `rate` | number | `5` | Events/s, at most 1000. |");
    expect(md).toContain("| `label` | string |  | Free text copied into every event. |");
    expect(md).toContain('| `mode` | "udp" \\| "tcp" \\| "tls" | `"udp"` | Transport. |');
    expect(md).toContain("| `path` | string | required | File to append to. |");
    expect(md).toContain("| `auth.bearer` | string[] | required | Accepted bearer tokens. |");
    expect(md).toContain("| `port` | integer | `9000` | TCP port. |");
    expect(md).toContain("| `inputs` | string[] | required | Names of the sources or operators it reads. |");
  });

  it("takes the heading level of the section it goes into", () => {
    expect(optionsReference(registry(), { headingLevel: 2 }).split("\n")[0]).toBe("## Sources");
  });

  it("is deterministic", () => {
    expect(optionsReference(registry([...testPlugins].reverse()))).toBe(md);
  });
});
