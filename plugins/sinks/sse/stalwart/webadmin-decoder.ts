/**
 * Test support: a strict decoder that accepts exactly what Stalwart's WebAdmin v0.1.33 decodes
 * with serde (its `Event`, `SubEvent`, `Value`, `Metric`, `LiveMetric`, `OAuthCodeResponse` and
 * `OAuthGrant` structs, read from stalwartlabs/webadmin; rules restated here, no code taken).
 * Like serde, one bad value anywhere fails the whole frame: every function throws a
 * `DecodeError` saying where.
 *
 * serde rules mirrored: unknown struct fields are ignored (no `deny_unknown_fields`); a missing
 * `Option` field is None and `null` is None; `data` keys must be `Key` variants; `Value` is
 * untagged (string | u64 | f64 | bool | SubEvent | array), so null and objects that are not a
 * `{type, data}` sub-event match no variant; a u64 is a JSON integer from 0 to 2^64-1 written
 * without fraction or exponent (JSON.parse cannot tell `1` from `1.0`, so the raw text is checked).
 */
import { STALWART_KEYS } from "./keys.js";

export class DecodeError extends Error {}

const fail = (where: string, what: string): never => {
  throw new DecodeError(`${where}: ${what}`);
};

const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;
const U64_MAX = 18446744073709551615n;

/** WebAdmin's `Permission` names this sink may announce (an unknown one fails the login). */
const KNOWN_PERMISSIONS = new Set(["tracing-live", "tracing-list", "metrics-list", "metrics-live", "logs-view"]);

/**
 * A JSON text parsed with every number kept as its source text, so integer-ness is visible.
 * Returns the value with numbers as `{ num: "..." }` boxes.
 */
type Raw = string | boolean | null | { num: string } | Raw[] | { [k: string]: Raw };
function parseRaw(text: string): Raw {
  const marked = JSON.parse(text, (_k, v, ctx?: { source?: string }) => (typeof v === "number" ? { num: ctx?.source ?? String(v) } : v));
  return marked as Raw;
}
// Node 20's JSON.parse has no `context.source`: fall back to a scan of the text itself.
const HAS_SOURCE = (() => {
  let ok = false;
  JSON.parse("1.0", (_k, v, ctx?: { source?: string }) => ((ok = ctx?.source === "1.0"), v));
  return ok;
})();
function numbersOf(text: string): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (c === '"') {
      i++;
      while (i < text.length && text[i] !== '"') i += text[i] === "\\" ? 2 : 1;
      i++;
    } else if (c === "-" || (c >= "0" && c <= "9")) {
      const m = /^-?\d+(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i))!;
      out.push(m[0]);
      i += m[0].length;
    } else i++;
  }
  return out;
}
function parse(text: string): Raw {
  if (HAS_SOURCE) return parseRaw(text);
  const nums = numbersOf(text);
  let n = 0;
  return JSON.parse(text, (_k, v) => (typeof v === "number" ? { num: nums[n++] } : v)) as Raw;
}
// JSON.parse revivers run bottom-up in document order for arrays and objects alike, so the
// n-th number revived is the n-th number of the text.

const isNum = (v: Raw): v is { num: string } => typeof v === "object" && v !== null && !Array.isArray(v) && typeof (v as { num?: unknown }).num === "string" && Object.keys(v).length === 1;
const isMap = (v: Raw): v is { [k: string]: Raw } => typeof v === "object" && v !== null && !Array.isArray(v) && !isNum(v);

function u64(v: Raw | undefined, where: string): bigint {
  if (v === undefined) fail(where, "missing field");
  if (!isNum(v!)) fail(where, "invalid type: expected u64");
  const s = (v as { num: string }).num;
  if (!/^\d+$/.test(s)) fail(where, `invalid type: ${s} is not a u64`);
  const n = BigInt(s);
  if (n > U64_MAX) fail(where, `${s} is out of range for u64`);
  return n;
}

function str(v: Raw | undefined, where: string): string {
  if (v === undefined) return fail(where, "missing field");
  if (typeof v !== "string") fail(where, "invalid type: expected a string");
  return v as string;
}

function optStr(v: Raw | undefined, where: string): void {
  if (v === undefined || v === null) return;
  str(v, where);
}

function dateTime(v: Raw | undefined, where: string): void {
  const s = str(v, where);
  if (!RFC3339.test(s) || Number.isNaN(Date.parse(s))) fail(where, "Failed to parse RFC3339 timestamp");
}

function value(v: Raw, where: string): void {
  if (typeof v === "string" || typeof v === "boolean") return;
  if (isNum(v)) {
    // f64 takes any JSON number serde_json can read (it has no NaN/Infinity literals anyway).
    if (!Number.isFinite(Number(v.num))) fail(where, "number out of range");
    return;
  }
  if (Array.isArray(v)) return v.forEach((x, i) => value(x, `${where}[${i}]`));
  if (isMap(v)) {
    try {
      subEvent(v, where);
      return;
    } catch {
      // falls through: an untagged enum reports that no variant matched
    }
  }
  fail(where, "data did not match any variant of untagged enum Value");
}

function dataMap(v: Raw | undefined, where: string): void {
  if (v === undefined) fail(where, "missing field `data`");
  if (!isMap(v!)) fail(where, "invalid type: expected a map");
  for (const [k, x] of Object.entries(v as Record<string, Raw>)) {
    if (!STALWART_KEYS.has(k)) fail(`${where}.${k}`, `unknown variant \`${k}\``);
    value(x, `${where}.${k}`);
  }
}

function subEvent(v: { [k: string]: Raw }, where: string): void {
  str(v.type, `${where}.type`);
  optStr(v.text, `${where}.text`);
  optStr(v.details, `${where}.details`);
  dataMap(v.data, `${where}.data`);
}

/** WebAdmin's `Event`. */
function event(v: Raw, where: string): void {
  if (!isMap(v)) fail(where, "invalid type: expected struct Event");
  const e = v as { [k: string]: Raw };
  str(e.type, `${where}.type`);
  optStr(e.text, `${where}.text`);
  optStr(e.details, `${where}.details`);
  dateTime(e.createdAt, `${where}.createdAt`);
  dataMap(e.data, `${where}.data`);
}

/** The `data` of a `trace` frame: `Vec<Event>`. Returns the number of events. */
export function decodeTraceFrame(text: string): number {
  const v = parse(text);
  if (!Array.isArray(v)) fail("frame", "invalid type: expected a sequence");
  (v as Raw[]).forEach((e, i) => event(e, `[${i}]`));
  return (v as Raw[]).length;
}

function metric(v: Raw, where: string, withTimestamp: boolean): void {
  if (!isMap(v)) fail(where, "invalid type: expected an internally tagged enum");
  const m = v as { [k: string]: Raw };
  const type = str(m.type, `${where}.type`);
  str(m.id, `${where}.id`);
  if (withTimestamp) dateTime(m.timestamp, `${where}.timestamp`);
  if (type === "counter" || type === "gauge") u64(m.value, `${where}.value`);
  else if (type === "histogram") {
    u64(m.count, `${where}.count`);
    u64(m.sum, `${where}.sum`);
  } else fail(`${where}.type`, `unknown variant \`${type}\``);
}

/** The `data` of a `metrics` frame: `Vec<LiveMetric>`. */
export function decodeMetricsFrame(text: string): number {
  const v = parse(text);
  if (!Array.isArray(v)) fail("frame", "invalid type: expected a sequence");
  (v as Raw[]).forEach((m, i) => metric(m, `[${i}]`, false));
  return (v as Raw[]).length;
}

/** `GET /api/telemetry/metrics?after=`: `{"data": Vec<Metric>}`. */
export function decodeMetricsHistory(text: string): number {
  const v = parse(text);
  if (!isMap(v) || !Array.isArray((v as { data?: Raw }).data)) fail("body", "expected {\"data\": [...]}");
  const list = (v as { data: Raw[] }).data;
  list.forEach((m, i) => metric(m, `data[${i}]`, true));
  return list.length;
}

/** `POST /api/oauth`: `{"data": OAuthCodeResponse}`, plus WebAdmin's version check (>= 0.13.0). */
export function decodeOAuthCode(text: string): { code: string; permissions: string[] } {
  const v = parse(text);
  if (!isMap(v) || !isMap((v as { data?: Raw }).data ?? null)) fail("body", "expected {\"data\": {...}}");
  const d = (v as { data: { [k: string]: Raw } }).data;
  const code = str(d.code, "data.code");
  const perms = d.permissions ?? [];
  if (!Array.isArray(perms)) fail("data.permissions", "expected a sequence");
  for (const p of perms as Raw[]) if (typeof p !== "string" || !KNOWN_PERMISSIONS.has(p)) fail("data.permissions", `unknown variant ${JSON.stringify(p)}`);
  if (d.isEnterprise !== undefined && typeof d.isEnterprise !== "boolean") fail("data.isEnterprise", "expected a boolean");
  const version = typeof d.version === "string" ? d.version : "";
  const m = /^(\d+)\.(\d+)\.(\d+)/.exec(version);
  if (!m) fail("data.version", "unknown server version");
  const [maj, min] = [Number(m![1]), Number(m![2])];
  if (maj === 0 && min < 13) fail("data.version", `${version} is older than 0.13.0`);
  return { code, permissions: perms as string[] };
}

/** `POST /auth/token`: `OAuthGrant` (`access_token`, `token_type`, `expires_in: u64`). */
export function decodeOAuthGrant(text: string): { accessToken: string; expiresIn: number } {
  const v = parse(text);
  if (!isMap(v)) fail("body", "expected an object");
  const g = v as { [k: string]: Raw };
  const accessToken = str(g.access_token, "access_token");
  str(g.token_type, "token_type");
  const expiresIn = Number(u64(g.expires_in, "expires_in"));
  optStr(g.refresh_token, "refresh_token");
  return { accessToken, expiresIn };
}
