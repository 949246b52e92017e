import type { LiveEvent } from "../../../core/index.js";
import { fieldReader, type Matcher } from "../../../core/kit.js";
import type { Selection } from "./client.js";
import { FollowedValues, followKey } from "./followed.js";

export interface FollowSpec {
  /** The field reference (CONTRACT 6) whose values are followed. */
  field: string;
  maxFollowed: number;
  followMs: number;
}

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
  let own: (e: LiveEvent) => boolean = filter.predicate;
  if (spec.follow !== undefined && !filter.matchesAll) {
    const read = fieldReader(spec.follow.field);
    const followed = new FollowedValues(spec.follow.maxFollowed, spec.follow.followMs);
    own = (e) => {
      const key = followKey(read(e));
      if (filter.predicate(e)) {
        if (key !== undefined) followed.follow(key, now());
        return true;
      }
      return key !== undefined && followed.has(key, now());
    };
  }
  if (inScope === undefined) return { predicate: own, matchesAll: filter.matchesAll };
  if (filter.matchesAll) return { predicate: inScope, matchesAll: false };
  return { predicate: (e) => inScope(e) && own(e), matchesAll: false };
}
