import { mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import type { PluginDefinition, PluginKind } from "../plugin.js";
import type { PluginRegistry } from "../registry.js";
import { isZodSchema, zodToJsonSchema } from "./options.js";
import type { JsonSchema } from "./schema-walk.js";
import { COMPONENT_NAME, DEFAULT_DATA_DIR, SECTIONS } from "./sections.js";

const DRAFT = "https://json-schema.org/draft/2020-12/schema";

const SECTION_DESCRIPTIONS: Record<PluginKind, string> = {
  source: "Where events enter the pipeline, by name. Each has a `type` and that type's options.",
  operator: "Named steps between sources and sinks (filter, sample, ...). Each lists its `inputs`.",
  sink: "Where events leave the pipeline, by name. Each lists its `inputs`.",
};

/**
 * The JSON Schema (draft 2020-12) of a whole config file for the plugins in `registry`: what
 * `"$schema"` points editors at. Generated, never hand-edited, so it cannot drift from the
 * options core actually accepts. Types are sorted so the output is byte-for-byte repeatable.
 */
export function configJsonSchema(registry: PluginRegistry): object {
  const defs: Record<string, JsonSchema> = {};
  const properties: Record<string, JsonSchema> = {
    $schema: { type: "string", description: "The path or URL of this JSON Schema, for editors; ignored by livetap." },
    plugins: {
      type: "array",
      items: { type: "string", minLength: 1 },
      description: "Plugin modules to load before the components: paths relative to this file, or package names.",
    },
    dataDir: {
      type: "string",
      minLength: 1,
      default: DEFAULT_DATA_DIR,
      description: "Directory for checkpoints and state, relative to this file.",
    },
  };
  for (const section of SECTIONS) {
    const alternatives = registry.types(section.kind).map((type) => componentSchema(registry.get(section.kind, type)!, defs));
    properties[section.key] = {
      type: "object",
      description: SECTION_DESCRIPTIONS[section.kind],
      ...(section.required ? { minProperties: 1 } : {}),
      propertyNames: { pattern: COMPONENT_NAME.source },
      // No registered type of this kind: no entry can be valid (`oneOf: []` is not allowed).
      additionalProperties: alternatives.length > 0 ? { oneOf: alternatives } : false,
    };
  }
  return {
    $schema: DRAFT,
    title: "livetap config",
    description: "A livetap pipeline: named sources, operators and sinks wired by `inputs`.",
    type: "object",
    properties,
    required: SECTIONS.filter((s) => s.required).map((s) => s.key),
    additionalProperties: false,
    ...(Object.keys(defs).length > 0 ? { $defs: defs } : {}),
  };
}

/** The checked-in `schemas/livetap.schema.json` text (2-space JSON, final newline). */
export function configSchemaText(registry: PluginRegistry): string {
  return `${JSON.stringify(configJsonSchema(registry), null, 2)}\n`;
}

export function writeConfigSchema(registry: PluginRegistry, file: string): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, configSchemaText(registry));
}

/**
 * A plugin's options as the user writes them: zod schemas in their input form (options with
 * defaults are optional), plain-JS plugins' JSON Schemas as they are. Without `$schema`/`$id`,
 * so it can be embedded.
 */
export function optionsJsonSchema(definition: PluginDefinition): JsonSchema {
  const schema = isZodSchema(definition.options) ? zodToJsonSchema(definition.options) : structuredClone(definition.options as JsonSchema);
  delete schema.$schema;
  delete schema.$id;
  return schema;
}

/** One entry of a section: the options plus `type` (and `inputs`), nothing else allowed. */
function componentSchema(definition: PluginDefinition, defs: Record<string, JsonSchema>): JsonSchema {
  const options = hoistDefs(optionsJsonSchema(definition), `${definition.kind}.${definition.type}.`, defs);
  const own: Record<string, JsonSchema> = { type: { const: definition.type } };
  if (definition.kind !== "source") {
    own.inputs = {
      type: "array",
      items: { type: "string" },
      minItems: 1,
      uniqueItems: true,
      description: `Names of the sources or operators this ${definition.kind} reads.`,
    };
  }
  return { description: definition.description, ...withComponentKeys(options, own) };
}

/**
 * Adds `type`/`inputs` to an object schema. An options schema that is a union of object
 * shapes (e.g. per `mode`) gets them in every branch, because each branch forbids keys it
 * does not list.
 */
function withComponentKeys(schema: JsonSchema, own: Record<string, JsonSchema>): JsonSchema {
  for (const key of ["anyOf", "oneOf"] as const) {
    const list = schema[key];
    if (Array.isArray(list) && schema.properties === undefined) {
      return { ...schema, [key]: list.map((b) => withComponentKeys(b as JsonSchema, own)) };
    }
  }
  // `type` and `inputs` belong to the component: an option of that name could never be set
  // (the loader takes them first), so the component's meaning wins here too.
  const options = Object.entries((schema.properties ?? {}) as Record<string, unknown>).filter(([k]) => !(k in own));
  const required = Array.isArray(schema.required) ? (schema.required as string[]) : [];
  const { type: _type, properties: _p, required: _r, additionalProperties: _a, ...rest } = schema;
  return {
    type: "object",
    properties: { ...own, ...Object.fromEntries(options) },
    required: [...Object.keys(own), ...required.filter((k) => !(k in own))],
    additionalProperties: false,
    ...rest,
  };
}

/**
 * Moves an embedded schema's `$defs`/`definitions` to the top-level `$defs` under a
 * per-plugin prefix and rewrites its `$ref`s, since refs resolve against the document root.
 */
function hoistDefs(schema: JsonSchema, prefix: string, defs: Record<string, JsonSchema>): JsonSchema {
  const local = { ...((schema.$defs ?? {}) as Record<string, JsonSchema>), ...((schema.definitions ?? {}) as Record<string, JsonSchema>) };
  if (Object.keys(local).length === 0 && !JSON.stringify(schema).includes('"$ref"')) return schema;
  const rewrite = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(rewrite);
    if (typeof v !== "object" || v === null) return v;
    return Object.fromEntries(
      Object.entries(v).map(([k, x]) => {
        if (k === "$ref" && typeof x === "string") {
          const m = /^#\/(?:\$defs|definitions)\/(.+)$/.exec(x);
          if (m) return [k, `#/$defs/${prefix}${m[1]}`];
          if (x === "#") return [k, `#/$defs/${prefix}root`];
        }
        return [k, rewrite(x)];
      }),
    );
  };
  const { $defs: _d, definitions: _o, ...rest } = schema;
  for (const [name, def] of Object.entries(local)) defs[`${prefix}${name}`] = rewrite(def) as JsonSchema;
  const body = rewrite(rest) as JsonSchema;
  // A recursive schema refers to its own root (`#`): keep a copy of it as a def too.
  if (JSON.stringify(body).includes(`"#/$defs/${prefix}root"`)) defs[`${prefix}root`] = body;
  return body;
}
