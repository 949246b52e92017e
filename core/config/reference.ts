import type { PluginDefinition } from "../plugin.js";
import type { PluginRegistry } from "../registry.js";
import { optionsJsonSchema } from "./json-schema.js";
import { branches, type JsonSchema } from "./schema-walk.js";
import { SECTIONS } from "./sections.js";

const TITLES = { source: "Sources", operator: "Operators", sink: "Sinks" } as const;

export interface ReferenceOptions {
  /** Markdown level of the per-kind headings (types get one more); 3 = `###`. */
  headingLevel?: number;
}

export interface OptionRow {
  option: string;
  type: string;
  default: string;
  description: string;
}

/**
 * The Markdown options reference of every registered plugin, from the same JSON Schemas as
 * `schemas/livetap.schema.json`, so the README cannot document options that do not exist.
 */
export function optionsReference(registry: PluginRegistry, { headingLevel = 3 }: ReferenceOptions = {}): string {
  const h = (extra: number): string => "#".repeat(headingLevel + extra);
  const out: string[] = [];
  for (const section of SECTIONS) {
    const types = registry.types(section.kind);
    if (types.length === 0) continue;
    out.push(`${h(0)} ${TITLES[section.kind]}`, "");
    for (const type of types) {
      const definition = registry.get(section.kind, type)!;
      out.push(`${h(1)} \`${type}\``, "", definition.description, "");
      const rows = optionTable(definition);
      if (rows.length === 0) {
        out.push("No options.", "");
        continue;
      }
      out.push("| option | type | default | description |", "|---|---|---|---|");
      for (const r of rows) out.push(`| \`${r.option}\` | ${cell(r.type)} | ${cell(r.default)} | ${cell(r.description)} |`);
      out.push("");
    }
  }
  return `${out.join("\n").trimEnd()}\n`;
}

/** The reference rows of one plugin: `inputs` (operators and sinks), then its options. */
export function optionTable(definition: PluginDefinition): OptionRow[] {
  // An option named like a component key can never be set: documenting it would mislead.
  const rows = optionRows(optionsJsonSchema(definition)).filter((r) => r.option !== "type" && r.option !== "inputs");
  if (definition.kind !== "source") {
    rows.unshift({ option: "inputs", type: "string[]", default: "required", description: "Names of the sources or operators it reads." });
  }
  return rows;
}

/**
 * One row per option, nested objects flattened (`auth.bearer`, `basic[].user`). Options of
 * union branches (one shape per `mode`) are listed once, as first seen.
 */
function optionRows(schema: JsonSchema, prefix = ""): OptionRow[] {
  const rows: OptionRow[] = [];
  const seen = new Set<string>();
  for (const shape of branches(schema)) {
    const properties = (shape.properties ?? {}) as Record<string, JsonSchema>;
    const required = new Set(Array.isArray(shape.required) ? (shape.required as string[]) : []);
    for (const [key, prop] of Object.entries(properties)) {
      const option = `${prefix}${key}`;
      if (seen.has(option)) continue;
      seen.add(option);
      rows.push({
        option,
        type: typeText(prop),
        default: prop.default !== undefined ? `\`${JSON.stringify(prop.default)}\`` : required.has(key) ? "required" : "",
        description: typeof prop.description === "string" ? prop.description : "",
      });
      const nested = nestedObject(prop);
      if (nested) rows.push(...optionRows(nested.schema, `${option}${nested.suffix}.`).filter((r) => !seen.has(r.option)));
    }
  }
  return rows;
}

/** The object schema to document under an option: itself, or its array's items. */
function nestedObject(prop: JsonSchema): { schema: JsonSchema; suffix: string } | undefined {
  const isObject = (s: unknown): s is JsonSchema => typeof s === "object" && s !== null && typeof (s as JsonSchema).properties === "object";
  const withProps = branches(prop).find(isObject);
  if (withProps) return { schema: withProps, suffix: "" };
  const items = branches(prop).map((b) => b.items).find(isObject);
  return items ? { schema: items, suffix: "[]" } : undefined;
}

/** `number`, `string[]`, `"udp" | "tcp"`, `string (uri)`, `string | string[]`. */
function typeText(s: JsonSchema): string {
  if (Array.isArray(s.enum)) return s.enum.map((v) => JSON.stringify(v)).join(" | ");
  if (s.const !== undefined) return JSON.stringify(s.const);
  for (const key of ["anyOf", "oneOf"] as const) {
    if (Array.isArray(s[key])) return [...new Set((s[key] as JsonSchema[]).map(typeText))].join(" | ");
  }
  if (Array.isArray(s.type)) return s.type.join(" | ");
  if (s.type === "array") return typeof s.items === "object" && s.items !== null ? `${wrap(typeText(s.items as JsonSchema))}[]` : "array";
  if (typeof s.type === "string") return typeof s.format === "string" ? `${s.type} (${s.format})` : s.type;
  return "any";
}

const wrap = (t: string): string => (t.includes(" ") ? `(${t})` : t);

/** Table cells are one line and `|` ends a cell. */
const cell = (text: string): string => text.replace(/\s*\n\s*/g, " ").replace(/\|/g, "\\|");
