import { didYouMean } from "../lib/did-you-mean.js";

/**
 * The wording of option problems, shared by the zod and the ajv mapping so a plain-JS plugin's
 * options read exactly like a built-in's: lowercase, the bad value quoted, what is allowed.
 */

const MAX_SHOWN = 60;

/** JSON spelling of a primitive, shortened so a pasted 10 kB string cannot flood the terminal. */
export function quote(value: unknown): string {
  const text = typeof value === "bigint" ? String(value) : (JSON.stringify(value) ?? String(value));
  return text.length <= MAX_SHOWN ? text : `${text.slice(0, MAX_SHOWN - 4)}..."`;
}

/** `"fast"`, `5`, `true`, `null`, `an array`, `an object`. */
/**
 * A secret option's bad value (its JSON Schema says `writeOnly`: tokens, shared secrets): a
 * message names its length or its type, never the value, which would land in logs and CI output.
 */
export class Redacted {
  constructor(readonly value: unknown) {}
}

export function describeValue(value: unknown): string {
  if (value instanceof Redacted) {
    const v = value.value;
    return typeof v === "string" ? plural(v.length, "character") : typeName(v === null ? "null" : Array.isArray(v) ? "array" : typeof v);
  }
  if (value === undefined) return "nothing";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "object" && value !== null) return "an object";
  return quote(value);
}

/** `a, b or c` (items already formatted). */
export function joinOr(items: readonly string[], conjunction = "or"): string {
  if (items.length <= 1) return items.join("");
  return `${items.slice(0, -1).join(", ")} ${conjunction} ${items[items.length - 1]}`;
}

/** `(did you mean "address"?)` with its leading space, or the empty string. */
export function suggestion(hint: string | undefined): string {
  return hint === undefined ? "" : ` (did you mean ${JSON.stringify(hint)}?)`;
}

const ARTICLE_TYPE: Record<string, string> = {
  string: "a string",
  number: "a number",
  int: "an integer",
  integer: "an integer",
  boolean: "a boolean",
  bigint: "an integer",
  array: "an array",
  object: "an object",
  record: "an object",
  tuple: "an array",
  null: "null",
  date: "a date",
};

/** A zod or JSON Schema type name with its article: `number` -> `a number`. */
export function typeName(type: string): string {
  return ARTICLE_TYPE[type] ?? type;
}

// A short list of known options helps; the whole list of a 30-option plugin is noise.
const MAX_LISTED_KEYS = 12;

/**
 * `unknown option (did you mean "address"?)`, else the known names when there are few. The
 * hint is given even when `address` is there too: then `adress` is a leftover duplicate, and
 * saying so is the quickest way to show it.
 */
export function unknownOption(key: string, known: readonly string[]): string {
  const hint = didYouMean(key, known);
  if (hint !== undefined) return `unknown option${suggestion(hint)}`;
  if (known.length === 0) return "unknown option (this takes no options)";
  if (known.length <= MAX_LISTED_KEYS) return `unknown option (known: ${known.join(", ")})`;
  return "unknown option";
}

/** `required (expected a string)`. */
export function required(expected: readonly string[] = []): string {
  return expected.length === 0 ? "required" : `required (expected ${joinOr(expected)})`;
}

/** `expected a number, got "fast"`; `expected` are already phrased (`a number`, `"auto"`). */
export function expected(alternatives: readonly string[], value: unknown): string {
  if (value === undefined) return required(alternatives);
  return `expected ${joinOr([...new Set(alternatives)])}, got ${describeValue(value)}`;
}

/** `must be one of "udp", "tcp" or "tls", got "tpc" (did you mean "tcp"?)`. */
export function oneOf(values: readonly unknown[], value: unknown): string {
  const allowed = values.length === 1 ? `must be ${quote(values[0])}` : `must be one of ${joinOr(values.map(quote))}`;
  if (value === undefined) return `required (${allowed.replace(/^must be /, "")})`;
  const strings = values.filter((v): v is string => typeof v === "string");
  // With one allowed value, "did you mean" would only repeat it.
  const hint = typeof value === "string" && values.length > 1 ? didYouMean(value, strings) : undefined;
  return `${allowed}, got ${describeValue(value)}${suggestion(hint)}`;
}

export type SizeOrigin = "number" | "string" | "array" | "object" | "other";

/** Lower and upper bounds, in the unit of what is measured: `must be at least 1, got 0`. */
export function bound(side: "min" | "max", limit: number | bigint, inclusive: boolean, origin: SizeOrigin, value: unknown, exact = false): string {
  const n = Number(limit);
  switch (origin) {
    case "number": {
      const rel = side === "min" ? (inclusive ? "at least" : "greater than") : inclusive ? "at most" : "less than";
      return `must be ${rel} ${String(limit)}, got ${describeValue(value)}`;
    }
    case "string": {
      if (exact) return `must be exactly ${plural(n, "character")} long`;
      if (side === "min" && n === 1 && inclusive) return "must not be empty";
      const text = value instanceof Redacted ? value.value : value;
      const got = typeof text === "string" ? `, got ${plural(text.length, "character")}` : "";
      return `must be ${side === "min" ? "at least" : "at most"} ${plural(inclusiveLimit(side, n, inclusive), "character")} long${got}`;
    }
    case "array":
    case "object": {
      const unit = origin === "array" ? "item" : "entry";
      if (exact) return `must have exactly ${plural(n, unit)}`;
      if (side === "min" && n === 1 && inclusive) return "must not be empty";
      const size = Array.isArray(value) ? value.length : typeof value === "object" && value !== null ? Object.keys(value).length : undefined;
      const got = size === undefined ? "" : `, got ${size}`;
      return `must have ${side === "min" ? "at least" : "at most"} ${plural(inclusiveLimit(side, n, inclusive), unit)}${got}`;
    }
    default:
      return `must be ${side === "min" ? "at least" : "at most"} ${String(limit)}`;
  }
}

// Sizes are whole numbers: "more than 0 items" reads better as "at least 1 item".
const inclusiveLimit = (side: "min" | "max", n: number, inclusive: boolean): number => (inclusive ? n : side === "min" ? n + 1 : n - 1);

const UNITS = { character: "characters", item: "items", entry: "entries" } as const;
const plural = (n: number, unit: keyof typeof UNITS): string => `${n} ${n === 1 ? unit : UNITS[unit]}`;

// zod and ajv (ajv-formats) names of string formats, as a person would say them.
const FORMATS: Record<string, string> = {
  url: "a URL",
  uri: "a URI",
  "uri-reference": "a URI reference",
  email: "an email address",
  uuid: "a UUID",
  guid: "a GUID",
  ipv4: "an IPv4 address",
  ipv6: "an IPv6 address",
  cidrv4: "an IPv4 CIDR range",
  cidrv6: "an IPv6 CIDR range",
  datetime: "an ISO 8601 date-time",
  "date-time": "an RFC 3339 date-time",
  date: "a date (YYYY-MM-DD)",
  time: "a time (HH:MM:SS)",
  duration: "an ISO 8601 duration",
  hostname: "a hostname",
  base64: "base64 text",
  base64url: "base64url text",
  regex: "a regular expression",
  e164: "an E.164 phone number",
  jwt: "a JWT",
};

/** `must be a URL, got "nope"`. */
export function format(name: string, value: unknown): string {
  return `must be ${FORMATS[name] ?? `a valid ${name}`}, got ${describeValue(value)}`;
}

/** `must match /^a+$/, got "b"`. */
export function pattern(source: string, value: unknown): string {
  const shown = source.startsWith("/") ? source : `/${source}/`;
  return `must match ${shown}, got ${describeValue(value)}`;
}
