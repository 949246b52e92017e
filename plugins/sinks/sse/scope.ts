/**
 * Scoped credentials (CONTRACT 9): a scope is a list of filter query strings, each written like
 * the traces stream's filters (`domain=example.org&type=smtp.*`), all of which must hold. A
 * token issued to a scoped credential carries its scope plus the filters of the token request,
 * so a scope only ever grows narrower.
 */
import { compileFilter, isFilterError, type Matcher, type FilterError } from "../../../core/kit.js";
import type { Selection } from "./client.js";
import { TOP_PARAMS } from "./stream-query.js";

export const SCOPE_EXAMPLE = "domain=example.org&type=smtp.*";

/** Parameters of a request that are not filters, so never part of a scope. */
// `ttl` is the token endpoints' own: the life asked for a token, never a filter of its scope.
const NOT_FILTERS: ReadonlySet<string> = new Set([...[...TOP_PARAMS].filter((p) => p !== "filter" && p !== "type"), "ttl"]);

/** One scope string compiled, or what is wrong with it. */
export function parseScope(scope: string): Matcher | string {
  const params = new URLSearchParams(scope);
  for (const name of params.keys()) {
    if (NOT_FILTERS.has(name)) return `"${name}" is not a filter: a scope holds only filters (filter, type, key filters such as remote-ip), e.g. "${SCOPE_EXAMPLE}"`;
  }
  const filter = compileFilter(params, { reserved: NOT_FILTERS });
  if (isFilterError(filter)) return filter.details;
  if (filter.matchesAll) return `an empty scope would allow everything: give filters, e.g. "${SCOPE_EXAMPLE}"`;
  return filter;
}

/** Every scope of a credential as one selection (AND); undefined for an unscoped one. */
export function scopeSelection(scopes: readonly string[] | undefined): Selection | undefined {
  if (scopes === undefined || scopes.length === 0) return undefined;
  const preds = scopes.map((s) => {
    const f = parseScope(s);
    // Scopes were checked when configured or signed into a token: a bad one matches nothing.
    return typeof f === "string" ? () => false : f.predicate;
  });
  return { predicate: (e) => preds.every((p) => p(e)), matchesAll: false };
}

/**
 * The filters of a token request as a scope string (canonical: the compiled parameters in
 * order, other parameters left out); undefined when it has none; a 400 body when they are bad.
 */
export function scopeOfRequest(params: URLSearchParams): string | undefined | FilterError {
  const kept = new URLSearchParams();
  const last = new Map<string, string>();
  for (const [k, v] of params) if (!NOT_FILTERS.has(k)) last.set(k, v);
  for (const [k, v] of last) if (v !== "") kept.set(k, v);
  if ([...kept.keys()].length === 0) return undefined;
  const filter = compileFilter(kept, { reserved: NOT_FILTERS });
  if (isFilterError(filter)) return filter;
  return kept.toString();
}
