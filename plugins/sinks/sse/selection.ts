import type { LiveEvent } from "../../../core/index.js";
import type { Matcher } from "../../../core/kit.js";
import type { Selection } from "./client.js";
import { following, type FollowSpec } from "./follow.js";

export interface SelectionSpec {
  /** The request's own filters. */
  filter: Matcher;
  /** A scoped credential's filters: ANDed with everything else, so nothing can widen them. */
  scope?: Selection;
  follow?: FollowSpec;
}

/**
 * What one client receives: `scope AND (filter OR followed)`. Following only ever adds events
 * that already share a value with one that passed the filters, and never reaches past the
 * scope. State: the client's followed values (at most `maxFollowed`).
 */
export function selection(spec: SelectionSpec, now: () => number): Selection {
  const { filter, scope } = spec;
  const inScope = scope === undefined || scope.matchesAll ? undefined : scope.predicate;
  // With a filter that passes everything, following adds nothing.
  const own: (e: LiveEvent) => boolean = spec.follow !== undefined && !filter.matchesAll ? following(filter.predicate, spec.follow, now) : filter.predicate;
  if (inScope === undefined) return { predicate: own, matchesAll: filter.matchesAll };
  if (filter.matchesAll) return { predicate: inScope, matchesAll: false };
  return { predicate: (e) => inScope(e) && own(e), matchesAll: false };
}
