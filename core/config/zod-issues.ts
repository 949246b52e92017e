import type { z } from "zod";
import type { Problem } from "../plugin.js";
import * as say from "./messages.js";

type Issue = z.core.$ZodIssue;
type Path = (string | number)[];

/** What the options schema says at a path (relative to the options). */
export interface SchemaHints {
  /** Option names allowed there, for "did you mean". */
  knownKeys(path: readonly (string | number)[]): string[];
  /** A secret (`writeOnly`) is there: messages give its length, never its value. */
  isSecret(path: readonly (string | number)[]): boolean;
}

// Marks zod's generic messages, so a plugin's own (`.regex(re, "must be a dotted type")`)
// can be told apart: a schema's own message takes precedence over a per-parse error map.
const GENERIC = "\u0000generic";

/** Parse parameters for zodIssuesToProblems: the bad value in each issue, generic messages marked. */
export const ZOD_PARSE_PARAMS = { reportInput: true, error: () => GENERIC } as const;

/**
 * zod issues (parsed with ZOD_PARSE_PARAMS) as config problems, paths relative to the
 * component's options. Our own wording (zod's is capitalised and does not quote the bad
 * value), so every plugin's problems read alike; a plugin's own message is kept.
 */
export function zodIssuesToProblems(issues: readonly Issue[], hints: SchemaHints, base: Path = []): Problem[] {
  return issues.flatMap((issue) => {
    const path = [...base, ...toPath(issue.path)];
    return issueToProblems(hints.isSecret(path) ? ({ ...issue, input: new say.Redacted(issue.input) } as Issue) : issue, hints, path);
  });
}

function issueToProblems(issue: Issue, hints: SchemaHints, path: Path): Problem[] {
  const one = (message: string): Problem[] => [{ path, message }];
  if (issue.message !== GENERIC && issue.code !== "unrecognized_keys") {
    // The plugin's rule in its words; the bad value is added unless it is already there.
    const got = issue.input === undefined || issue.code === "custom" ? "" : `, got ${say.describeValue(issue.input)}`;
    const quoted = !(issue.input instanceof say.Redacted) && issue.message.includes(say.describeValue(issue.input));
    return one(got && quoted ? issue.message : issue.message + got);
  }
  switch (issue.code) {
    case "unrecognized_keys": {
      const known = hints.knownKeys(path);
      return issue.keys.map((key) => ({ path: [...path, key], message: say.unknownOption(key, known) }));
    }
    case "invalid_type":
      return one(say.expected([say.typeName(issue.expected)], issue.input));
    case "invalid_value":
      return one(say.oneOf(issue.values, issue.input));
    case "too_small":
      return one(say.bound("min", issue.minimum, issue.inclusive ?? true, sizeOrigin(issue.origin), issue.input, issue.exact));
    case "too_big":
      return one(say.bound("max", issue.maximum, issue.inclusive ?? true, sizeOrigin(issue.origin), issue.input, issue.exact));
    case "invalid_format":
      return one(formatMessage(issue));
    case "not_multiple_of":
      return one(`must be a multiple of ${issue.divisor}, got ${say.describeValue(issue.input)}`);
    case "invalid_union":
      return unionToProblems(issue, hints, path);
    case "invalid_key":
      return zodIssuesToProblems(issue.issues, hints, path).map((p) => ({ ...p, message: `invalid key: ${p.message}` }));
    case "invalid_element":
      return zodIssuesToProblems(issue.issues, hints, path);
    case "custom":
      // A refine() without a message of its own.
      return one("invalid value");
    default:
      return one(`invalid value, got ${say.describeValue((issue as { input?: unknown }).input)}`);
  }
}

/**
 * Unions: a discriminator that matches no branch lists the allowed tags; branches that all
 * failed on the value's type or literal combine into one `expected a or b`; otherwise the
 * value had the right shape for some branch, so the branch with the fewest issues is the
 * one the user meant and its issues are the useful ones.
 */
function unionToProblems(issue: z.core.$ZodIssueInvalidUnion, hints: SchemaHints, path: Path): Problem[] {
  const extra = issue as { discriminator?: string; options?: unknown[] };
  if (extra.discriminator !== undefined && issue.errors.length === 0) {
    // zod already ends the path with the discriminator key; `input` is the whole object.
    const tag = isRecord(issue.input) ? issue.input[extra.discriminator] : undefined;
    return [{ path, message: say.oneOf(extra.options ?? [], tag) }];
  }
  if (issue.errors.length === 0) return [{ path, message: "matches more than one of the allowed forms" }];
  const alternatives: string[] = [];
  const shapeOnly = issue.errors.every((branch) =>
    branch.every((i) => {
      if (i.path.length > 0) return false;
      if (i.code === "invalid_type") alternatives.push(say.typeName(i.expected));
      else if (i.code === "invalid_value") alternatives.push(...i.values.map(say.quote));
      else return false;
      return true;
    }),
  );
  if (shapeOnly) return [{ path, message: say.expected(alternatives, issue.input) }];
  const candidates = issue.errors.filter((branch) => !branch.every((i) => i.path.length === 0 && (i.code === "invalid_type" || i.code === "invalid_value")));
  const best = candidates.reduce((a, b) => (b.length < a.length ? b : a));
  return zodIssuesToProblems(best, hints, path);
}

function formatMessage(issue: z.core.$ZodIssueInvalidStringFormat): string {
  const f = issue as z.core.$ZodStringFormatIssues;
  switch (f.format) {
    case "regex":
      return say.pattern(f.pattern, issue.input);
    case "starts_with":
      return `must start with ${say.quote(f.prefix)}, got ${say.describeValue(issue.input)}`;
    case "ends_with":
      return `must end with ${say.quote(f.suffix)}, got ${say.describeValue(issue.input)}`;
    case "includes":
      return `must contain ${say.quote(f.includes)}, got ${say.describeValue(issue.input)}`;
    default:
      return say.format(f.format, issue.input);
  }
}

function sizeOrigin(origin: string): say.SizeOrigin {
  if (origin === "number" || origin === "int" || origin === "bigint") return "number";
  if (origin === "string") return "string";
  if (origin === "array" || origin === "set") return "array";
  return "other";
}

const toPath = (path: readonly PropertyKey[]): Path => path.map((p) => (typeof p === "number" ? p : String(p)));
const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
