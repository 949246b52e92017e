/**
 * The reserved parameters of the traces and top streams beyond Stalwart's filters (CONTRACT 9):
 * `follow`, `since`, `outputs-of`, and `by`/`top`/`window`/`interval` of the top stream. Pure:
 * each bad value is a 400 `{error, details}` naming the parameter.
 */
import { compileFilter, fieldRefProblem, isFilterError, RESERVED_PARAMS, type FilterError, type Matcher } from "../../../core/kit.js";
import { VIEW_PARAMS } from "./params.js";

export const TRACES_PARAMS: ReadonlySet<string> = new Set([...RESERVED_PARAMS, ...VIEW_PARAMS]);
export const TOP_PARAMS: ReadonlySet<string> = new Set([...TRACES_PARAMS, "by", "top", "window", "interval"]);

export interface TracesQuery {
  filter: Matcher;
  /** Field reference whose values are followed once an event passed the filters. */
  follow?: string;
  /** Replay retained events with createdAt at or after this (ms since the epoch). */
  sinceMs?: number;
  /** Component whose output is streamed instead of the sink's input (as given: path or bare name). */
  outputsOf?: string;
}

export interface TopQuery extends TracesQuery {
  by: string;
  top: number;
  windowSeconds: number;
  intervalMs: number;
}

export const MAX_TOP = 100;
const MAX_WINDOW_SECONDS = 86_400;
const MAX_SINCE_MS = 366 * 86_400_000;
const RFC3339 = /^\d{4}-\d\d-\d\d[Tt ]\d\d:\d\d:\d\d(?:\.\d{1,9})?(?:[Zz]|[+-]\d\d:\d\d)$/;
const DURATION = /^(\d{1,9}(?:\.\d{1,3})?)(s|m|h|d)$/;
const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

const bad = (name: string, details: string): FilterError => ({ error: `invalid parameter ${name}`, details });

/** The last non-empty value of each parameter (CONTRACT 4: the last one wins, then empty is absent). */
function lastValue(params: URLSearchParams, name: string): string | undefined {
  const all = params.getAll(name);
  const v = all[all.length - 1];
  return v === undefined || v === "" ? undefined : v;
}

/** `since=`: an RFC 3339 time, or a duration back from `now` (`90s`, `5m`, `2h`, `1d`). */
export function parseSince(text: string, now: number): number | string {
  const d = DURATION.exec(text);
  if (d) {
    const ms = Number(d[1]) * UNIT_MS[d[2]];
    return ms > MAX_SINCE_MS ? `"${text}" reaches back more than 366 days` : now - ms;
  }
  if (RFC3339.test(text)) {
    const t = Date.parse(text);
    if (Number.isFinite(t)) return t;
  }
  return `"${text.slice(0, 60)}" is neither an RFC 3339 time (2026-11-24T11:50:00Z) nor a duration back from now (90s, 5m, 2h, 1d)`;
}

/** `compile`: how the filters are read (compat "stalwart" brings Stalwart's own rules). */
export function parseTracesQuery(
  params: URLSearchParams,
  now: number,
  reserved: ReadonlySet<string> = TRACES_PARAMS,
  compile: (params: URLSearchParams) => Matcher | FilterError = (p) => compileFilter(p, { reserved }),
): TracesQuery | FilterError {
  const filter = compile(params);
  if (isFilterError(filter)) return filter;
  const query: TracesQuery = { filter };
  const follow = lastValue(params, "follow");
  if (follow !== undefined) {
    const problem = fieldRefProblem(follow);
    if (problem !== undefined) return bad("follow", problem);
    query.follow = follow;
  }
  const since = lastValue(params, "since");
  if (since !== undefined) {
    const t = parseSince(since, now);
    if (typeof t === "string") return bad("since", t);
    query.sinceMs = t;
  }
  const outputsOf = lastValue(params, "outputs-of");
  if (outputsOf !== undefined) query.outputsOf = outputsOf;
  return query;
}

export function parseTopQuery(params: URLSearchParams, now: number): TopQuery | FilterError {
  const base = parseTracesQuery(params, now, TOP_PARAMS);
  if ("error" in base) return base;
  const by = lastValue(params, "by");
  if (by === undefined) return bad("by", "give the field to count, e.g. by=remoteIp (type, text, id or a path into data)");
  const problem = fieldRefProblem(by);
  if (problem !== undefined) return bad("by", problem);
  const top = number(params, "top", 10, 1, MAX_TOP, true);
  if (typeof top === "object") return top;
  const windowSeconds = number(params, "window", 60, 1, MAX_WINDOW_SECONDS, false);
  if (typeof windowSeconds === "object") return windowSeconds;
  const interval = number(params, "interval", 5, 1, MAX_WINDOW_SECONDS, false, true);
  if (typeof interval === "object") return interval;
  return { ...base, by, top, windowSeconds, intervalMs: interval * 1000 };
}

/** A numeric parameter within [min, max]; `raise`: below min is raised to it (like the metrics `interval`). */
function number(params: URLSearchParams, name: string, fallback: number, min: number, max: number, integer: boolean, raise = false): number | FilterError {
  const text = lastValue(params, name);
  if (text === undefined) return fallback;
  const n = Number(text);
  if (text.trim() === "" || !Number.isFinite(n) || (integer && !Number.isInteger(n))) return bad(name, `"${text.slice(0, 40)}" is not ${integer ? "a whole number" : "a number"}`);
  if (n < min && raise) return min;
  if (n < min || n > max) return bad(name, `${n} is out of range: ${min} to ${max}`);
  return n;
}
