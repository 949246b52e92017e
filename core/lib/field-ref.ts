/**
 * Field references (CONTRACT 6), the one reading of "a field of an event" that every option and
 * parameter naming a field shares: `type`, `text` and `id` are the event's own fields; anything
 * else is a path into `data`, dots descending into objects (`user.id` is `data.user.id`);
 * `data.` in front is always allowed and reaches a data key named `type`, `text` or `id`.
 *
 * Pure and compiled once per option or client: reading a field is one to a few own-property
 * lookups, with no allocation.
 */
import { z } from "zod";
import type { LiveEvent } from "../event.js";

/** Reads a field of an event; undefined when it is absent (a missing field is never an error). */
export type FieldReader = (event: LiveEvent) => unknown;

export const MAX_FIELD_REF_LENGTH = 256;
const MAX_SEGMENTS = 32;
const DATA_PREFIX = "data.";
const OWN_FIELDS: ReadonlySet<string> = new Set(["type", "text", "id"]);
// eslint-disable-next-line no-control-regex -- control characters are exactly what is refused
const CONTROL = /[\x00-\x1f\x7f]/;

/** What is wrong with `ref` as a field reference, or undefined when it is one. */
export function fieldRefProblem(ref: string): string | undefined {
  if (ref.length === 0) return "a field reference cannot be empty";
  if (ref.length > MAX_FIELD_REF_LENGTH) return `a field reference has at most ${MAX_FIELD_REF_LENGTH} characters`;
  if (CONTROL.test(ref)) return "a field reference cannot contain control characters";
  const path = ref.startsWith(DATA_PREFIX) ? ref.slice(DATA_PREFIX.length) : ref;
  const segments = path.split(".");
  if (segments.some((s) => s === "")) {
    return `${JSON.stringify(truncate(ref))} is not a field reference: use type, text, id, a data key, or a dotted path into data (user.id, data.type); no empty parts between dots`;
  }
  if (segments.length > MAX_SEGMENTS) return `a field reference descends at most ${MAX_SEGMENTS} levels`;
  return undefined;
}

/** The path into `data` a reference names, or the event field it names (`type`, `text`, `id`). */
export function parseFieldRef(ref: string): { own: "type" | "text" | "id" } | { data: string[] } {
  const problem = fieldRefProblem(ref);
  if (problem !== undefined) throw new Error(problem);
  if (OWN_FIELDS.has(ref)) return { own: ref as "type" | "text" | "id" };
  return { data: (ref.startsWith(DATA_PREFIX) ? ref.slice(DATA_PREFIX.length) : ref).split(".") };
}

const has = (o: object, k: string): boolean => Object.prototype.hasOwnProperty.call(o, k);

/** The value at one key of a container, own properties only (`constructor` never finds Object.prototype's). */
function step(value: unknown, key: string): unknown {
  return typeof value === "object" && value !== null && has(value, key) ? (value as Record<string, unknown>)[key] : undefined;
}

/** Compiles a field reference; throws on bad syntax (check with `fieldRefProblem` or the `FieldRef` schema first). */
export function fieldReader(ref: string): FieldReader {
  const parsed = parseFieldRef(ref);
  if ("own" in parsed) {
    const own = parsed.own;
    return (e) => e[own];
  }
  const path = parsed.data;
  // The common one- and two-level paths without a loop.
  if (path.length === 1) {
    const [k] = path;
    return (e) => step(e.data, k);
  }
  if (path.length === 2) {
    const [a, b] = path;
    return (e) => step(step(e.data, a), b);
  }
  return (e) => {
    let v: unknown = e.data;
    for (let i = 0; i < path.length && v !== undefined; i++) v = step(v, path[i]);
    return v;
  };
}

/** Schema of an option that names a field (CONTRACT 6); describe it at the use site. */
export const FieldRef = z
  .string()
  .max(MAX_FIELD_REF_LENGTH)
  .superRefine((ref, ctx) => {
    const problem = fieldRefProblem(ref);
    if (problem !== undefined) ctx.addIssue({ code: "custom", message: problem });
  });

/** The sentence every field option's description ends with. */
export const FIELD_REF_HELP = "`type`, `text` and `id` are the event's own; anything else is a path into data (`user.id` is data.user.id); `data.` in front reaches a data key named type, text or id";

function truncate(s: string): string {
  return s.length > 60 ? `${s.slice(0, 60)}…` : s;
}
