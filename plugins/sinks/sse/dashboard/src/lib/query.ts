/**
 * The filter controls <-> the traces endpoint's query (CONTRACT 4 "Filters on the traces
 * stream"), one to one: `filter=S`, `type=P,Q*`, and one `kebab-key=S` per key row. The page's
 * own location.search holds exactly this query, so a filtered view is shared by its URL.
 * The naming rules (reserved names, kebab-case <-> camelCase) are core's own module, bundled in.
 */
import { camelToKebab, isKebabName, kebabToCamel, RESERVED_PARAMS } from "../../../../../../core/lib/filter/names.js";
import { VIEW_PARAMS } from "../../../params.js";

/** Names that are never key filters: the endpoint's reserved ones and the live view's (lib/view.ts). */
const NOT_KEYS: ReadonlySet<string> = new Set([...RESERVED_PARAMS, ...VIEW_PARAMS]);

export interface KeyFilter {
  /** The data key as events carry it (camelCase, `remoteIp`). */
  key: string;
  value: string;
}

export interface FilterState {
  filter: string;
  /** Comma-separated type patterns, as typed. */
  types: string;
  keys: KeyFilter[];
}

export const EMPTY_FILTER: FilterState = { filter: "", types: "", keys: [] };

const CAMEL_KEY = /^[a-z0-9][a-zA-Z0-9]*$/;

/**
 * The query name for a key typed by the operator, who may type it as seen in the JSON
 * (`remoteIp`) or as in a URL (`remote-ip`); undefined when the endpoint has no name for it
 * (underscores, dots, a leading capital...).
 */
export function keyToParam(key: string): string | undefined {
  const k = key.trim();
  const name = isKebabName(k) ? k : CAMEL_KEY.test(k) ? camelToKebab(k) : undefined;
  return name !== undefined && isKebabName(name) ? name : undefined;
}

/**
 * Reads a query string (location.search, or the endpoint's) into the controls' state with the
 * endpoint's rules: the last of a repeated parameter wins, empty values are absent, `token`,
 * `lastEventId` and the view's parameters (`follow`, `since`, `outputs-of`: lib/view.ts) are ignored.
 */
export function filterFromQuery(search: string | URLSearchParams): FilterState {
  const params = typeof search === "string" ? new URLSearchParams(search) : search;
  const last = new Map<string, string>();
  for (const [k, v] of params) last.set(k, v);
  const state: FilterState = { filter: "", types: "", keys: [] };
  for (const [name, value] of last) {
    if (value === "") continue;
    if (name === "filter") state.filter = value;
    else if (name === "type") state.types = value;
    else if (NOT_KEYS.has(name)) continue;
    else state.keys.push({ key: kebabToCamel(name), value });
  }
  return state;
}

export interface FilterQuery {
  params: URLSearchParams;
  /** Why some control cannot be applied; the query is only used when this is empty. */
  problems: string[];
}

/**
 * The endpoint query for the controls. Rows with an empty key or value are not applied yet
 * (the operator is still typing); a key the endpoint cannot name, or a duplicate, is a problem.
 */
export function queryFromFilter(state: FilterState): FilterQuery {
  const params = new URLSearchParams();
  const problems: string[] = [];
  if (state.filter !== "") params.set("filter", state.filter);
  const types = normaliseTypes(state.types);
  if (types !== "") params.set("type", types);
  const seen = new Set<string>();
  for (const { key, value } of state.keys) {
    if (key.trim() === "" || value === "") continue;
    const name = keyToParam(key);
    if (name === undefined) {
      problems.push(`"${key.trim().slice(0, 40)}" cannot be filtered on: the endpoint names data keys in camelCase (remoteIp) or kebab-case (remote-ip)`);
    } else if (NOT_KEYS.has(name)) {
      problems.push(`"${name}" is a reserved parameter, not a data key filter`);
    } else if (seen.has(name)) {
      problems.push(`"${key.trim()}" has two rows; keep one (all rows must match)`);
    } else {
      seen.add(name);
      params.set(name, value);
    }
  }
  return { params, problems };
}

/** `smtp.* , delivery.failed,` -> `smtp.*,delivery.failed`. */
export function normaliseTypes(types: string): string {
  return types
    .split(",")
    .map((t) => t.trim())
    .filter((t) => t !== "")
    .join(",");
}

/** The same query, whatever the order of its parameters. */
export function sameQuery(a: URLSearchParams, b: URLSearchParams): boolean {
  const sa = new URLSearchParams(a);
  const sb = new URLSearchParams(b);
  sa.sort();
  sb.sort();
  return sa.toString() === sb.toString();
}

/** The URL of a stream: `path?query` plus the page's own parameters. */
export function streamUrl(path: string, query: URLSearchParams, extra: Record<string, string | undefined> = {}): string {
  const params = new URLSearchParams(query);
  for (const [k, v] of Object.entries(extra)) if (v !== undefined) params.set(k, v);
  const q = params.toString();
  return q === "" ? path : `${path}?${q}`;
}
