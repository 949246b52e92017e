/** The one result type and the one combinator of the filter matcher. */
import type { LiveEvent } from "../../event.js";

export type Predicate = (event: LiveEvent) => boolean;

/** A compiled filter or condition. */
export interface Matcher<C = unknown> {
  predicate: Predicate;
  /** No condition at all: callers may skip the predicate. */
  matchesAll: boolean;
  /** What was compiled, normalised (for logs and tests). */
  conditions: C;
}

export const MATCH_ALL: Predicate = () => true;
const MATCH_NONE: Predicate = () => false;

/**
 * One predicate from many: `all` must hold (AND) or `any` one (OR). Short lists get no loop,
 * and an AND of nothing is MATCH_ALL itself, so callers can tell "no condition" by identity.
 */
export function combine(mode: "all" | "any", predicates: readonly Predicate[]): Predicate {
  const all = mode === "all";
  switch (predicates.length) {
    case 0:
      return all ? MATCH_ALL : MATCH_NONE;
    case 1:
      return predicates[0];
    case 2: {
      const [a, b] = predicates;
      return all ? (e) => a(e) && b(e) : (e) => a(e) || b(e);
    }
    default:
      return (e) => {
        for (let i = 0; i < predicates.length; i++) if (predicates[i](e) !== all) return !all;
        return all;
      };
  }
}
