/**
 * The checks behind both query filters and config conditions: event type patterns, key
 * filters and the "any data value" substring search. The per-event cost is a few property
 * reads and `includes` calls, with no allocation except number-to-text for numeric values that
 * could contain the needle at all.
 */
import { MATCH_ALL, type Predicate } from "./matcher.js";

/** Nesting below this depth is not searched: bounds the recursion on hostile or cyclic data. */
export const MAX_SEARCH_DEPTH = 64;

/** Exact types and prefixes (without the `*`). */
export interface TypePatterns {
  exact: string[];
  prefixes: string[];
}

/** Type patterns: `P` exact, `P*` prefix; a comma list means any of them; empty items are ignored. */
export function parseTypes(value: string): TypePatterns | undefined {
  const exact: string[] = [];
  const prefixes: string[] = [];
  for (const raw of value.split(",")) {
    const p = raw.trim();
    if (p === "") continue;
    if (p.endsWith("*")) prefixes.push(p.slice(0, -1));
    else exact.push(p);
  }
  return exact.length || prefixes.length ? { exact, prefixes } : undefined;
}

export function typeCheck(t: TypePatterns): Predicate {
  const exact = new Set(t.exact);
  const prefixes = t.prefixes;
  if (prefixes.some((p) => p === "")) return MATCH_ALL; // `type=*`
  if (prefixes.length === 0) return (e) => exact.has(e.type);
  return (e) => {
    if (exact.has(e.type)) return true;
    for (let i = 0; i < prefixes.length; i++) if (e.type.startsWith(prefixes[i])) return true;
    return false;
  };
}

/** That top-level data key's value contains `needle` as text. */
export function keyCheck(key: string, needle: string): Predicate {
  const m = new TextMatcher(needle);
  return (e) => {
    const data = e.data;
    // Own properties only: `constructor=x` must not find Object.prototype's.
    return data != null && Object.prototype.hasOwnProperty.call(data, key) && m.test(data[key], 0);
  };
}

/** Some value in `data`, nested ones included, contains `needle` as text. */
export function anyValueCheck(needle: string): Predicate {
  const m = new TextMatcher(needle);
  return (e) => e.data != null && m.test(e.data, 0);
}

/** Characters a number's text can contain: a needle with any other cannot match a number. */
const NUMERIC_TEXT = /^[0-9.eE+-]+$/;

/**
 * "Contains the needle as text": strings directly, numbers and booleans as their JSON text,
 * arrays and objects by any nested value. null and undefined have no text.
 */
class TextMatcher {
  private readonly numeric: boolean;
  private readonly inTrue: boolean;
  private readonly inFalse: boolean;

  constructor(private readonly needle: string) {
    this.numeric = NUMERIC_TEXT.test(needle);
    this.inTrue = "true".includes(needle);
    this.inFalse = "false".includes(needle);
  }

  test(value: unknown, depth: number): boolean {
    switch (typeof value) {
      case "string":
        return value.includes(this.needle);
      case "number":
      case "bigint":
        return this.numeric && String(value).includes(this.needle);
      case "boolean":
        return value ? this.inTrue : this.inFalse;
      case "object": {
        if (value === null || depth >= MAX_SEARCH_DEPTH) return false;
        if (Array.isArray(value)) {
          for (let i = 0; i < value.length; i++) if (this.test(value[i], depth + 1)) return true;
          return false;
        }
        const obj = value as Record<string, unknown>;
        // for-in allocates nothing, unlike Object.values; event data are plain JSON objects.
        for (const k in obj) if (this.test(obj[k], depth + 1)) return true;
        return false;
      }
      default:
        return false;
    }
  }
}
