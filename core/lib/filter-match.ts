/**
 * Event filters with Stalwart's live-telemetry semantics (CONTRACT 4, "Filters on the traces
 * stream"), shared by the SSE sink (query parameters) and the filter operator (config).
 *
 * Compiled once per client into a closure: the per-event cost is a few property reads and
 * `includes` calls, with no allocation except number-to-text for numeric values that could
 * contain the needle at all.
 */
import { z } from "zod";
import type { LiveEvent } from "../event.js";
import { didYouMean } from "./did-you-mean.js";
import { FIELD_REF_HELP, FieldRef, fieldReader } from "./field-ref.js";

/** Parameter names that are never key filters (`token` belongs to auth, `lastEventId` to replay). */
export const RESERVED_PARAMS: ReadonlySet<string> = new Set(["filter", "type", "token", "lastEventId"]);

/** Nesting below this depth is not searched: bounds the recursion on hostile or cyclic data. */
export const MAX_SEARCH_DEPTH = 64;

const MAX_NAME_LENGTH = 128;
const KEBAB_NAME = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;

export interface FilterConditions {
  /** `filter=S`: substring of any data value. */
  filter?: string;
  /** `type=P,Q*`: exact types and prefixes (without the `*`). */
  types?: { exact: string[]; prefixes: string[] };
  /** Key filters by camelCase data key. */
  keys: Record<string, string>;
}

export interface CompiledFilter {
  predicate: (event: LiveEvent) => boolean;
  /** No condition at all: callers may skip the predicate. */
  matchesAll: boolean;
  /** The normalised conditions (for logs and tests). */
  conditions: FilterConditions;
}

/** A bad parameter: the SSE sink answers 400 with this body. */
export interface FilterError {
  error: string;
  details: string;
}

export function isFilterError(result: CompiledFilter | FilterError): result is FilterError {
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

/** `remote-ip` -> `remoteIp`, `listener-id` -> `listenerId`; names without dashes are unchanged. */
export function kebabToCamel(name: string): string {
  return name.includes("-") ? name.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase()) : name;
}

/**
 * Compiles filter parameters. A repeated parameter: the last one wins, then an empty value
 * means the parameter is absent (so `?filter=` filters nothing).
 */
export function compileFilter(
  params: URLSearchParams | Record<string, string | readonly string[] | undefined>,
  options: CompileOptions = {},
): CompiledFilter | FilterError {
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
      if (name.length > MAX_NAME_LENGTH || !KEBAB_NAME.test(name)) {
        return {
          error: "invalid parameter",
          details: `"${truncate(name)}" is not a filter name: use the data key in kebab-case (lowercase letters, digits and dashes, e.g. "remote-ip" for remoteIp), or one of ${[...reserved].join(", ")}`,
        };
      }
      conditions.keys[kebabToCamel(name)] = value;
    } else conditions.keys[name] = value;
  }
  return filterFromConditions(conditions);
}

/**
 * Compiles already normalised conditions (no parameter names to map or reject): for callers
 * that read them from elsewhere than a query string, such as config conditions.
 */
export function filterFromConditions(conditions: FilterConditions): CompiledFilter {
  return { predicate: buildPredicate(conditions), matchesAll: isEmpty(conditions), conditions };
}

/** Type patterns: `P` exact, `P*` prefix; a comma list means any of them; empty items are ignored. */
export function parseTypes(value: string): FilterConditions["types"] | undefined {
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

function isEmpty(c: FilterConditions): boolean {
  return c.filter === undefined && c.types === undefined && Object.keys(c.keys).length === 0;
}

type Check = (event: LiveEvent) => boolean;

const MATCH_ALL: Check = () => true;

function buildPredicate(c: FilterConditions): Check {
  // Cheapest first: a type test rejects most events of a busy stream before any search.
  const checks: Check[] = [];
  if (c.types) checks.push(typeCheck(c.types));
  for (const [key, needle] of Object.entries(c.keys)) checks.push(keyCheck(key, textMatcher(needle)));
  if (c.filter !== undefined) checks.push(anyValueCheck(textMatcher(c.filter)));
  switch (checks.length) {
    case 0:
      return MATCH_ALL;
    case 1:
      return checks[0];
    case 2: {
      const [a, b] = checks;
      return (e) => a(e) && b(e);
    }
    default:
      return (e) => {
        for (let i = 0; i < checks.length; i++) if (!checks[i](e)) return false;
        return true;
      };
  }
}

function typeCheck(t: { exact: string[]; prefixes: string[] }): Check {
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

function keyCheck(key: string, m: TextMatcher): Check {
  return (e) => {
    const data = e.data;
    // Own properties only: `constructor=x` must not find Object.prototype's.
    return data != null && Object.prototype.hasOwnProperty.call(data, key) && m.test(data[key], 0);
  };
}

function anyValueCheck(m: TextMatcher): Check {
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

function textMatcher(needle: string): TextMatcher {
  return new TextMatcher(needle);
}

function truncate(s: string): string {
  return s.length > 60 ? `${s.slice(0, 60)}…` : s;
}

// ---------------------------------------------------------------------------------------------
// Config conditions: the same vocabulary as the query filters above, written as JSON in a
// config (the filter operator's include/exclude, sample's alwaysKeep, metric's where), plus
// the comparisons a query string cannot express well: severities and numeric fields.
// ---------------------------------------------------------------------------------------------

/** Syslog severity names, most severe first: the index is the RFC 5424 code. */
export const SEVERITY_NAMES = ["emerg", "alert", "crit", "err", "warning", "notice", "info", "debug"] as const;

/** Every name a severity condition accepts: the syslog names and the usual aliases of log libraries. */
const SEVERITY_ALIASES: Record<string, number> = {
  emerg: 0,
  emergency: 0,
  panic: 0,
  alert: 1,
  crit: 2,
  critical: 2,
  fatal: 2,
  err: 3,
  error: 3,
  warning: 4,
  warn: 4,
  notice: 5,
  info: 6,
  informational: 6,
  information: 6,
  debug: 7,
  trace: 7,
};
const SEVERITY_BY_NAME: ReadonlyMap<string, number> = new Map(Object.entries(SEVERITY_ALIASES));
export const SEVERITY_WORDS = Object.keys(SEVERITY_ALIASES) as [string, ...string[]];

/** pino/bunyan numeric levels, as JSON logs carry them in `level`. */
const NUMERIC_LEVELS: ReadonlyMap<number, number> = new Map([
  [10, 7],
  [20, 7],
  [30, 6],
  [40, 4],
  [50, 3],
  [60, 2],
]);

/**
 * The syslog severity code (0 = emerg … 7 = debug) of a severity value: a name or alias in any
 * case (`err`, `error`, `WARN`), a syslog code 0-7, or a pino level number (10-60).
 * Undefined when the value is none of these.
 */
export function severityRank(value: unknown): number | undefined {
  if (typeof value === "string") return SEVERITY_BY_NAME.get(value) ?? SEVERITY_BY_NAME.get(value.toLowerCase());
  if (typeof value === "number") return Number.isInteger(value) && value >= 0 && value <= 7 ? value : NUMERIC_LEVELS.get(value);
  return undefined;
}

/** An event's severity code: `data.severity` (syslog events), else `data.level` (app logs, the demo source). */
export function eventSeverity(event: LiveEvent): number | undefined {
  const data = event.data;
  if (data == null) return undefined;
  return severityRank(data.severity) ?? severityRank(data.level);
}

/** A number in `data`: a finite number, or a string that is entirely one (`"1234"`, from syslog structured data). */
export function numericValue(value: unknown): number | undefined {
  if (typeof value === "number") return Number.isFinite(value) ? value : undefined;
  if (typeof value === "string" && value.length > 0 && value.length <= 64 && value.trim() === value) {
    const n = Number(value);
    return Number.isFinite(n) ? n : undefined;
  }
  return undefined;
}

const dataKeyName = z
  .string()
  .min(1)
  .max(MAX_NAME_LENGTH);

const COMPARATORS = ["gt", "gte", "lt", "lte", "eq", "ne"] as const;

export const FieldComparison = z
  .strictObject({
    field: FieldRef.describe(`The field holding the number (a number, or a string that is one, like "1234"); a field reference: ${FIELD_REF_HELP}. Absent or not a number: the comparison does not hold.`),
    gt: z.number().optional().describe("Holds when the value is greater than this."),
    gte: z.number().optional().describe("Holds when the value is greater than or equal to this."),
    lt: z.number().optional().describe("Holds when the value is less than this."),
    lte: z.number().optional().describe("Holds when the value is less than or equal to this."),
    eq: z.number().optional().describe("Holds when the value equals this."),
    ne: z.number().optional().describe("Holds when the value is a number other than this."),
  })
  .refine((c) => COMPARATORS.some((op) => c[op] !== undefined), {
    message: "give at least one of gt, gte, lt, lte, eq, ne",
  })
  .describe("A numeric comparison on one data field; all the bounds given must hold (`{ \"field\": \"size\", \"gte\": 1000000 }`).");
export type FieldComparison = z.infer<typeof FieldComparison>;

const severityName = z
  .enum(SEVERITY_WORDS)
  .describe(`A syslog severity name (${SEVERITY_NAMES.join(" ")}, most severe first) or an alias (emergency, critical, fatal, error, warn, informational, trace).`);

/** Condition options; anything else is a key filter (as on the URL). */
const CONDITION_OPTIONS = ["filter", "type", "keys", "severityAtLeast", "severityAtMost", "fields"] as const;

const keyFilterValue = z.string().min(1).max(1024);

/**
 * One condition, as written in a config: every part given must hold (AND), like the query
 * parameters of one SSE request. Names other than the condition options are key filters,
 * exactly like `?some-key=S` but with the data key as written (`"remoteIp": "192.0.2"`).
 */
export const EventCondition = z
  .object({
    filter: keyFilterValue
      .optional()
      .describe("Substring (case-sensitive) of any value in `data`, nested values included, numbers and booleans as text: the SSE `filter=` parameter."),
    type: z
      .union([z.string().min(1).max(1024), z.array(z.string().min(1).max(200)).min(1).max(100)])
      .optional()
      .describe("Event type patterns: exact (`auth.failed`), or a prefix ending in `*` (`smtp.*`); a comma-separated string or a list means any of them: the SSE `type=` parameter."),
    keys: z
      .record(dataKeyName, keyFilterValue)
      .optional()
      .describe("Key filters by data key as written (`{ \"remoteIp\": \"192.0.2\" }`): that top-level key's value contains the text (numbers and booleans as text, nested values of objects and arrays); an absent key never matches. Same as writing the key directly in the condition; use `keys` for a data key named like a condition option."),
    severityAtLeast: severityName
      .optional()
      .describe("Severity at least this severe (`warning` keeps warning, err, crit, alert, emerg). Read from `data.severity`, else `data.level` (names in any case, syslog codes 0-7, pino levels 10-60); an event with neither never matches."),
    severityAtMost: severityName
      .optional()
      .describe("Severity at most this severe (`info` matches info and debug). Read like severityAtLeast; an event without a severity never matches."),
    fields: z
      .array(FieldComparison)
      .min(1)
      .max(100)
      .optional()
      .describe("Numeric comparisons on data fields (`[{ \"field\": \"size\", \"gte\": 1000000 }]`); all must hold."),
  })
  .catchall(keyFilterValue.describe("A key filter on the data key of this name (URL style: `\"severity\": \"debug\"`)."))
  .superRefine(
    (c, ctx) => {
      const extra = Object.keys(c).filter((k) => !(CONDITION_OPTIONS as readonly string[]).includes(k));
      if (extra.length === 0 && CONDITION_OPTIONS.every((k) => c[k] === undefined)) {
        ctx.addIssue({ code: "custom", message: "an empty condition matches every event: give at least one of filter, type, keys, severityAtLeast, severityAtMost, fields or a data key" });
      }
      for (const k of extra) {
        // A data key that looks like a misspelt option is almost always the option.
        const hint = didYouMean(k, CONDITION_OPTIONS);
        if (hint !== undefined) {
          ctx.addIssue({ code: "custom", path: [k], message: `unknown condition ${JSON.stringify(k)} (did you mean ${JSON.stringify(hint)}?); a filter on a data key of that name goes under "keys"` });
        } else if (typeof c.keys === "object" && c.keys !== null && Object.prototype.hasOwnProperty.call(c.keys, k)) {
          ctx.addIssue({ code: "custom", path: [k], message: `the key filter ${JSON.stringify(k)} is also given under "keys": give it once` });
        }
      }
      const atLeast = SEVERITY_BY_NAME.get(c.severityAtLeast as string);
      const atMost = SEVERITY_BY_NAME.get(c.severityAtMost as string);
      if (atLeast !== undefined && atMost !== undefined && atLeast < atMost) {
        ctx.addIssue({ code: "custom", path: ["severityAtMost"], message: `no severity is at least ${JSON.stringify(c.severityAtLeast)} and at most ${JSON.stringify(c.severityAtMost)}` });
      }
    },
    // Also when other parts are wrong: every problem is reported at once, typos included.
    { when: (payload) => typeof payload.value === "object" && payload.value !== null && !Array.isArray(payload.value) },
  )
  .describe("A condition: every part given must hold.");
export type EventCondition = z.infer<typeof EventCondition>;

/** A condition, or a list of conditions of which any one must hold (OR). */
export const EventConditions = z.union([EventCondition, z.array(EventCondition).min(1).max(100)]);
export type EventConditions = z.infer<typeof EventConditions>;

export interface EventMatcher {
  predicate: (event: LiveEvent) => boolean;
  /** Matches every event: callers may skip the predicate. */
  matchesAll: boolean;
}

/**
 * Compiles a config condition (or a list: any of them) into one predicate. Text and type parts
 * go through the same matcher as the SSE query filters, so a condition in a config and the
 * same parameters in a URL keep the same events. Checks run cheapest first: type, severity,
 * numbers, then the substring searches.
 */
export function compileEventCondition(condition: EventConditions): EventMatcher {
  if (Array.isArray(condition)) {
    const parts = condition.map((c) => compileEventCondition(c));
    if (parts.some((p) => p.matchesAll)) return { predicate: MATCH_ALL, matchesAll: true };
    const preds = parts.map((p) => p.predicate);
    if (preds.length === 1) return { predicate: preds[0], matchesAll: false };
    return {
      predicate: (e) => {
        for (let i = 0; i < preds.length; i++) if (preds[i](e)) return true;
        return false;
      },
      matchesAll: false,
    };
  }
  const c = condition as EventCondition;
  const keys: Record<string, string> = {};
  for (const [k, v] of Object.entries(c)) {
    if (!(CONDITION_OPTIONS as readonly string[]).includes(k) && typeof v === "string") keys[k] = v;
  }
  Object.assign(keys, c.keys);
  const typeText = c.type === undefined ? undefined : Array.isArray(c.type) ? c.type.join(",") : c.type;
  const types = typeText === undefined ? undefined : parseTypes(typeText);

  const checks: Check[] = [];
  if (types) checks.push(filterFromConditions({ types, keys: {} }).predicate);
  if (c.severityAtLeast !== undefined || c.severityAtMost !== undefined) {
    // Codes run from 0 (emerg) to 7 (debug): "at least as severe" is a code at most as large.
    const maxCode = c.severityAtLeast === undefined ? 7 : SEVERITY_BY_NAME.get(c.severityAtLeast)!;
    const minCode = c.severityAtMost === undefined ? 0 : SEVERITY_BY_NAME.get(c.severityAtMost)!;
    checks.push((e) => {
      const code = eventSeverity(e);
      return code !== undefined && code <= maxCode && code >= minCode;
    });
  }
  for (const f of c.fields ?? []) checks.push(fieldCheck(f));
  const text = filterFromConditions({ filter: c.filter, keys });
  if (!text.matchesAll) checks.push(text.predicate);
  const predicate = allOf(checks);
  return { predicate, matchesAll: predicate === MATCH_ALL };
}

function allOf(checks: Check[]): Check {
  switch (checks.length) {
    case 0:
      return MATCH_ALL;
    case 1:
      return checks[0];
    default:
      return (e) => {
        for (let i = 0; i < checks.length; i++) if (!checks[i](e)) return false;
        return true;
      };
  }
}

function fieldCheck(f: FieldComparison): Check {
  const read = fieldReader(f.field);
  const lo = f.gte ?? -Infinity;
  const hi = f.lte ?? Infinity;
  const gt = f.gt;
  const lt = f.lt;
  const eq = f.eq;
  const ne = f.ne;
  return (e) => {
    const n = numericValue(read(e));
    if (n === undefined || n < lo || n > hi) return false;
    if (gt !== undefined && !(n > gt)) return false;
    if (lt !== undefined && !(n < lt)) return false;
    if (eq !== undefined && n !== eq) return false;
    return ne === undefined || n !== ne;
  };
}
