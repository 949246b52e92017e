/**
 * Config conditions: the vocabulary of the query filters, written as JSON in a config (the
 * filter operator's include/exclude, sample's alwaysKeep, metric's where), plus the
 * comparisons a query string cannot express well: severities and numeric fields.
 */
import { z } from "zod";
import { didYouMean } from "../did-you-mean.js";
import { FIELD_REF_HELP, FieldRef, fieldReader } from "../field-ref.js";
import { combine, MATCH_ALL, type Matcher, type Predicate } from "./matcher.js";
import { MAX_NAME_LENGTH } from "./names.js";
import { matcherOf } from "./query.js";
import { eventSeverity, SEVERITY_NAMES, SEVERITY_WORDS, severityCode } from "./severity.js";
import { parseTypes, typeCheck } from "./text.js";

/** A number in `data`: a finite number, or a string that is entirely one (`"1234"`, from syslog structured data). */
export function numericValue(value: unknown): number | undefined {
  if (typeof value === "number") return Number.isFinite(value) ? value : undefined;
  if (typeof value === "string" && value.length > 0 && value.length <= 64 && value.trim() === value) {
    const n = Number(value);
    return Number.isFinite(n) ? n : undefined;
  }
  return undefined;
}

const dataKeyName = z.string().min(1).max(MAX_NAME_LENGTH);

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
      const atLeast = severityCode(c.severityAtLeast as string | undefined);
      const atMost = severityCode(c.severityAtMost as string | undefined);
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

/**
 * Compiles a config condition (or a list: any of them) into one predicate. Text and type parts
 * go through the same checks as the SSE query filters, so a condition in a config and the
 * same parameters in a URL keep the same events. Checks run cheapest first: type, severity,
 * numbers, then the substring searches.
 */
export function compileEventCondition(condition: EventConditions): Matcher<EventConditions> {
  if (Array.isArray(condition)) {
    const parts = condition.map((c) => compileEventCondition(c));
    if (parts.some((p) => p.matchesAll)) return { predicate: MATCH_ALL, matchesAll: true, conditions: condition };
    return { predicate: combine("any", parts.map((p) => p.predicate)), matchesAll: false, conditions: condition };
  }
  const c = condition as EventCondition;
  const keys: Record<string, string> = {};
  for (const [k, v] of Object.entries(c)) {
    if (!(CONDITION_OPTIONS as readonly string[]).includes(k) && typeof v === "string") keys[k] = v;
  }
  Object.assign(keys, c.keys);
  const typeText = c.type === undefined ? undefined : Array.isArray(c.type) ? c.type.join(",") : c.type;
  const types = typeText === undefined ? undefined : parseTypes(typeText);

  const checks: Predicate[] = [];
  if (types) checks.push(typeCheck(types));
  if (c.severityAtLeast !== undefined || c.severityAtMost !== undefined) {
    // Codes run from 0 (emerg) to 7 (debug): "at least as severe" is a code at most as large.
    const maxCode = severityCode(c.severityAtLeast) ?? 7;
    const minCode = severityCode(c.severityAtMost) ?? 0;
    checks.push((e) => {
      const code = eventSeverity(e);
      return code !== undefined && code <= maxCode && code >= minCode;
    });
  }
  for (const f of c.fields ?? []) checks.push(fieldCheck(f));
  const text = matcherOf({ filter: c.filter, keys });
  if (!text.matchesAll) checks.push(text.predicate);
  const predicate = combine("all", checks);
  return { predicate, matchesAll: predicate === MATCH_ALL, conditions: condition };
}

function fieldCheck(f: FieldComparison): Predicate {
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
