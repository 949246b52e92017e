/**
 * Query filters with Stalwart's live-telemetry semantics (CONTRACT 4, "Filters on the traces
 * stream"): the SSE sink compiles one per client, once, into a closure.
 */
import { combine, type Matcher, type Predicate } from "./matcher.js";
import { isKebabName, kebabToCamel, RESERVED_PARAMS } from "./names.js";
import { anyValueCheck, keyCheck, parseTypes, typeCheck, type TypePatterns } from "./text.js";

export interface FilterConditions {
  /** `filter=S`: substring of any data value. */
  filter?: string;
  /** `type=P,Q*`: exact types and prefixes (without the `*`). */
  types?: TypePatterns;
  /** Key filters by camelCase data key. */
  keys: Record<string, string>;
}

/** A bad parameter: the SSE sink answers 400 with this body. */
export interface FilterError {
  error: string;
  details: string;
}

export function isFilterError(result: Matcher | FilterError): result is FilterError {
  return "error" in result;
}

export interface CompileOptions {
  /** Names never taken as key filters (default RESERVED_PARAMS); they are ignored unless known. */
  reserved?: ReadonlySet<string>;
  /**
   * How names map to data keys: "kebab" (query strings; `remote-ip` -> `remoteIp`, anything but
   * lowercase letters, digits and single inner dashes is an error) or "data" (configs: the
   * name is the data key as written).
   */
  keyNames?: "kebab" | "data";
}

/**
 * Compiles filter parameters. A repeated parameter: the last one wins, then an empty value
 * means the parameter is absent (so `?filter=` filters nothing).
 */
export function compileFilter(
  params: URLSearchParams | Record<string, string | readonly string[] | undefined>,
  options: CompileOptions = {},
): Matcher<FilterConditions> | FilterError {
  const reserved = options.reserved ?? RESERVED_PARAMS;
  const kebab = (options.keyNames ?? "kebab") === "kebab";
  const conditions: FilterConditions = { keys: {} };

  for (const [name, value] of lastValues(params)) {
    if (value === "") continue;
    if (name === "filter") conditions.filter = value;
    else if (name === "type") {
      const types = parseTypes(value);
      if (types) conditions.types = types;
    } else if (reserved.has(name)) continue;
    else if (kebab) {
      if (!isKebabName(name)) {
        return {
          error: "invalid parameter",
          details: `"${truncate(name)}" is not a filter name: use the data key in kebab-case (lowercase letters, digits and dashes, e.g. "remote-ip" for remoteIp), or one of ${[...reserved].join(", ")}`,
        };
      }
      conditions.keys[kebabToCamel(name)] = value;
    } else conditions.keys[name] = value;
  }
  return matcherOf(conditions);
}

/**
 * Compiles already normalised conditions (no parameter names to map or reject): for callers
 * that read them from elsewhere than a query string, such as config conditions.
 */
export function matcherOf(c: FilterConditions): Matcher<FilterConditions> {
  // Cheapest first: a type test rejects most events of a busy stream before any search.
  const checks: Predicate[] = [];
  if (c.types) checks.push(typeCheck(c.types));
  for (const [key, needle] of Object.entries(c.keys)) checks.push(keyCheck(key, needle));
  if (c.filter !== undefined) checks.push(anyValueCheck(c.filter));
  const matchesAll = c.filter === undefined && c.types === undefined && Object.keys(c.keys).length === 0;
  return { predicate: combine("all", checks), matchesAll, conditions: c };
}

function* lastValues(params: URLSearchParams | Record<string, string | readonly string[] | undefined>): Iterable<[string, string]> {
  if (params instanceof URLSearchParams) {
    // Map keeps first-insertion order but takes the last value: "the last one wins".
    const last = new Map<string, string>();
    for (const [k, v] of params) last.set(k, v);
    yield* last;
    return;
  }
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined) continue;
    if (typeof v === "string") yield [k, v];
    else if (v.length > 0) yield [k, v[v.length - 1]];
  }
}

function truncate(s: string): string {
  return s.length > 60 ? `${s.slice(0, 60)}…` : s;
}
