import type { ErrorObject } from "ajv";
import type { Problem } from "../plugin.js";
import * as say from "./messages.js";

type Path = (string | number)[];
type JsonSchema = Record<string, unknown>;

/**
 * ajv errors (with `allErrors` and `verbose`, so `data` and `parentSchema` are present) as
 * config problems, in the same words as zod's, paths relative to the component's options.
 */
export function ajvErrorsToProblems(errors: readonly ErrorObject[], data: unknown): Problem[] {
  // A secret (`writeOnly`) is described by its length, never quoted.
  const redacted = errors.map((e) => ((e.parentSchema as JsonSchema | undefined)?.writeOnly === true ? { ...e, data: new say.Redacted(e.data) } : e));
  const problems = mapErrors(redacted, data);
  // allErrors can report one thing twice (two branches, two keywords): say it once.
  const seen = new Set<string>();
  return problems.filter((p) => {
    const key = JSON.stringify(p);
    return seen.has(key) ? false : (seen.add(key), true);
  });
}

function mapErrors(errors: readonly ErrorObject[], data: unknown): Problem[] {
  // Branch errors of an anyOf/oneOf are judged together with it, not one by one.
  const unions = errors.filter((e) => (e.keyword === "anyOf" || e.keyword === "oneOf") && !isInsideAnotherUnion(e, errors));
  const inUnion = (e: ErrorObject): boolean => unions.some((u) => e !== u && e.schemaPath.startsWith(`${u.schemaPath}/`));
  return errors.flatMap((e) => {
    if (inUnion(e)) return [];
    if (e.keyword === "anyOf" || e.keyword === "oneOf") return unionToProblems(e, errors, data);
    return errorToProblems(e, data);
  });
}

function isInsideAnotherUnion(e: ErrorObject, errors: readonly ErrorObject[]): boolean {
  return errors.some((u) => u !== e && (u.keyword === "anyOf" || u.keyword === "oneOf") && e.schemaPath.startsWith(`${u.schemaPath}/`));
}

/** As for zod unions: combine pure type/literal mismatches, else report the closest branch. */
function unionToProblems(union: ErrorObject, errors: readonly ErrorObject[], data: unknown): Problem[] {
  const path = toPath(union.instancePath, data);
  const params = union.params as { passingSchemas?: number[] | null };
  if (union.keyword === "oneOf" && Array.isArray(params.passingSchemas)) {
    return [{ path, message: "matches more than one of the allowed forms" }];
  }
  const byBranch = new Map<string, ErrorObject[]>();
  for (const e of errors) {
    const m = e.schemaPath.startsWith(`${union.schemaPath}/`) ? /^\/(\d+)/.exec(e.schemaPath.slice(union.schemaPath.length)) : null;
    if (m) byBranch.set(m[1], [...(byBranch.get(m[1]) ?? []), e]);
  }
  const isShapeError = (e: ErrorObject): boolean => e.instancePath === union.instancePath && ["type", "enum", "const"].includes(e.keyword);
  const branches = [...byBranch.values()];
  if (branches.every((b) => b.every(isShapeError))) {
    const alternatives = branches.flat().flatMap((e): string[] => {
      if (e.keyword === "type") return typeList(e.params as { type: string | string[] });
      if (e.keyword === "enum") return (e.params as { allowedValues: unknown[] }).allowedValues.map(say.quote);
      return [say.quote((e.params as { allowedValue: unknown }).allowedValue)];
    });
    if (alternatives.length === 0) return [{ path, message: `does not match any of the allowed forms, got ${say.describeValue(union.data)}` }];
    return [{ path, message: say.expected(alternatives, union.data) }];
  }
  const closest = branches.filter((b) => !b.every(isShapeError)).reduce((a, b) => (b.length < a.length ? b : a));
  return mapErrors(closest, data);
}

function errorToProblems(e: ErrorObject, data: unknown): Problem[] {
  const path = toPath(e.instancePath, data);
  const one = (message: string, at: Path = path): Problem[] => [{ path: at, message }];
  const p = e.params as Record<string, unknown>;
  const parent = (e.parentSchema ?? {}) as JsonSchema;
  switch (e.keyword) {
    case "additionalProperties": {
      const key = String(p.additionalProperty);
      const known = isRecord(parent.properties) ? Object.keys(parent.properties) : [];
      return one(say.unknownOption(key, known), [...path, key]);
    }
    case "required": {
      const key = String(p.missingProperty);
      const property = isRecord(parent.properties) ? parent.properties[key] : undefined;
      const type = isRecord(property) ? property.type : undefined;
      return one(say.required(type === undefined ? [] : typeList({ type: type as string | string[] })), [...path, key]);
    }
    case "type":
      return one(say.expected(typeList(p as { type: string | string[] }), e.data));
    case "enum":
      return one(say.oneOf(p.allowedValues as unknown[], e.data));
    case "const":
      return one(say.oneOf([p.allowedValue], e.data));
    case "minimum":
    case "exclusiveMinimum":
      return one(say.bound("min", p.limit as number, e.keyword === "minimum", "number", e.data));
    case "maximum":
    case "exclusiveMaximum":
      return one(say.bound("max", p.limit as number, e.keyword === "maximum", "number", e.data));
    case "minLength":
    case "maxLength":
      return one(say.bound(e.keyword === "minLength" ? "min" : "max", p.limit as number, true, "string", e.data));
    case "minItems":
    case "maxItems":
      return one(say.bound(e.keyword === "minItems" ? "min" : "max", p.limit as number, true, "array", e.data));
    case "minProperties":
    case "maxProperties":
      return one(say.bound(e.keyword === "minProperties" ? "min" : "max", p.limit as number, true, "object", e.data));
    case "pattern":
      return one(say.pattern(String(p.pattern), e.data));
    case "format":
      return one(say.format(String(p.format), e.data));
    case "multipleOf":
      return one(`must be a multiple of ${String(p.multipleOf)}, got ${say.describeValue(e.data)}`);
    case "uniqueItems":
      return one(`must not repeat items (items ${String(p.j)} and ${String(p.i)} are equal)`);
    case "dependentRequired":
    case "dependencies":
      return one(`requires ${say.quote(p.missingProperty)} too`, [...path, String(p.property)]);
    case "if":
      // The failing then/else keyword reports the actual problem.
      return [];
    case "not":
      return one(`is not allowed here, got ${say.describeValue(e.data)}`);
    default:
      return one(e.message ?? `fails "${e.keyword}"`);
  }
}

function typeList(params: { type: string | string[] }): string[] {
  const types = Array.isArray(params.type) ? params.type : params.type.split(",");
  return types.map((t) => say.typeName(t.trim()));
}

/**
 * A JSON pointer (`/auth/basic/0/user`) as a config path. `0` is an array index only when the
 * data there is an array: an object key may be "0" too.
 */
function toPath(pointer: string, data: unknown): Path {
  if (pointer === "") return [];
  const path: Path = [];
  let node = data;
  for (const raw of pointer.slice(1).split("/")) {
    const key = raw.replace(/~1/g, "/").replace(/~0/g, "~");
    const part = Array.isArray(node) && /^\d+$/.test(key) ? Number(key) : key;
    path.push(part);
    node = isRecord(node) || Array.isArray(node) ? (node as Record<string | number, unknown>)[part] : undefined;
  }
  return path;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
