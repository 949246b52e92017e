/**
 * Reading JSON Schemas (ours from zod, or a plain-JS plugin's) for messages and docs: which
 * option names exist at a path, for "did you mean". Unions contribute every branch's names.
 */

export type JsonSchema = Record<string, unknown>;

const isSchema = (v: unknown): v is JsonSchema => typeof v === "object" && v !== null && !Array.isArray(v);

/** The schemas a value at `path` may be checked against (several under anyOf/oneOf/allOf). */
export function schemasAt(schema: JsonSchema, path: readonly (string | number)[]): JsonSchema[] {
  let current = branches(schema);
  for (const part of path) {
    const next: JsonSchema[] = [];
    for (const s of current) {
      const child = typeof part === "number" ? itemSchema(s, part) : propertySchema(s, part);
      if (child) next.push(...branches(child));
    }
    current = next;
  }
  return current;
}

/** Property names allowed at `path`, in schema order, without duplicates. */
export function knownKeysAt(schema: JsonSchema, path: readonly (string | number)[]): string[] {
  const keys = new Set<string>();
  for (const s of schemasAt(schema, path)) {
    if (isSchema(s.properties)) for (const k of Object.keys(s.properties)) keys.add(k);
  }
  return [...keys];
}

/**
 * Whether the value at `path` is a secret: JSON Schema's `writeOnly` (zod: `.meta({ writeOnly: true })`),
 * so problems about it never quote it.
 */
export function isSecretAt(schema: JsonSchema, path: readonly (string | number)[]): boolean {
  return schemasAt(schema, path).some((s) => s.writeOnly === true);
}

/** A schema and the alternatives it combines, flattened. */
export function branches(schema: JsonSchema): JsonSchema[] {
  const out: JsonSchema[] = [schema];
  for (const key of ["anyOf", "oneOf", "allOf"] as const) {
    const list = schema[key];
    if (Array.isArray(list)) for (const b of list) if (isSchema(b)) out.push(...branches(b));
  }
  return out;
}

function propertySchema(s: JsonSchema, key: string): JsonSchema | undefined {
  if (isSchema(s.properties) && isSchema(s.properties[key])) return s.properties[key];
  if (isSchema(s.additionalProperties)) return s.additionalProperties;
  return undefined;
}

function itemSchema(s: JsonSchema, index: number): JsonSchema | undefined {
  if (Array.isArray(s.prefixItems) && isSchema(s.prefixItems[index])) return s.prefixItems[index];
  if (isSchema(s.items)) return s.items;
  return undefined;
}
