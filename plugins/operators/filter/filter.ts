import { filter, identity, type MonoTypeOperatorFunction } from "rxjs";
import type { LiveEvent } from "../../../core/index.js";
import { compileEventCondition } from "../../../core/kit.js";
import type { FilterOptions } from "./options.js";

/**
 * Keeps the events that match `include` (all, when absent) and do not match `exclude` (none,
 * when absent); `dropped` is called with each dropped event. Stateless, so there is nothing to
 * hold per subscription: the conditions are compiled once, when the operator is made.
 */
export function filterEvents(o: FilterOptions, dropped: (event: LiveEvent) => void = () => undefined): MonoTypeOperatorFunction<LiveEvent> {
  const include = o.include === undefined ? undefined : compileEventCondition(o.include);
  const exclude = o.exclude === undefined ? undefined : compileEventCondition(o.exclude);
  const inc = include && !include.matchesAll ? include.predicate : undefined;
  const exc = exclude?.predicate;
  const keep = inc && exc ? (e: LiveEvent) => inc(e) && !exc(e) : inc ? inc : exc ? (e: LiveEvent) => !exc(e) : undefined;
  if (!keep) return identity;
  return filter((e) => {
    if (keep(e)) return true;
    dropped(e);
    return false;
  });
}
