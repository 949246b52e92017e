import { defer, filter, identity, map, type MonoTypeOperatorFunction } from "rxjs";
import type { LiveEvent } from "../../../core/index.js";
import { compileEventCondition, fieldReader } from "../../../core/kit.js";
import { keyedSampler, mulberry32 } from "./hash.js";
import type { SampleOptions } from "./options.js";

/** The data key kept events carry: how many events each one stands for, so counts can be scaled back. */
export const SAMPLE_RATE_KEY = "sampleRate";

/**
 * Keeps 1 event in `rate` (or a `ratio` of them): by a seeded hash of `key`'s value when
 * given, else at random. Events matching `alwaysKeep` pass unchanged. A kept sampled event is
 * a copy whose `data.sampleRate` is its weight (multiplied with a weight an earlier sampler
 * gave it); the input event is never modified, since other branches of the DAG share it.
 * `dropped` is called with each dropped event and `replaced` with each weighed copy (so core's
 * delivery tracking follows the copy); `random` is the unseeded generator (tests).
 */
export function sampleEvents(
  o: SampleOptions,
  dropped: (event: LiveEvent) => void = () => undefined,
  random: () => number = Math.random,
  replaced: (from: LiveEvent, to: LiveEvent) => LiveEvent = (_, to) => to,
): MonoTypeOperatorFunction<LiveEvent> {
  const ratio = o.ratio ?? 1 / o.rate!;
  const weight = o.rate ?? 1 / o.ratio!;
  if (ratio >= 1) return identity;
  const always = o.alwaysKeep === undefined ? undefined : compileEventCondition(o.alwaysKeep);
  if (always?.matchesAll) return identity;
  const bypass = always?.predicate;
  const key = o.key === undefined ? undefined : fieldReader(o.key);
  const keyed = key === undefined ? undefined : keyedSampler(ratio, o.hashSeed ?? 0);
  const missing = o.missingKey ?? "sample";

  return (events) =>
    defer(() => {
      // Per subscription: a restarted operator replays the same seeded sequence.
      const rnd = o.hashSeed !== undefined && key === undefined ? mulberry32(o.hashSeed) : random;
      const keep = (e: LiveEvent): boolean => {
        if (keyed === undefined) return rnd() < ratio;
        const value = key!(e);
        if (value === undefined || value === null) return missing === "keep" ? true : missing === "drop" ? false : rnd() < ratio;
        return keyed(value);
      };
      return events.pipe(
        map((e) => {
          if (bypass !== undefined && bypass(e)) return e;
          if (keep(e)) return replaced(e, weigh(e, weight));
          dropped(e);
          return null;
        }),
        filter((e): e is LiveEvent => e !== null),
      );
    });
}

/** A copy of `e` with its weight multiplied by `weight` (copy on write: `e` and its data stay as they were). */
export function weigh(e: LiveEvent, weight: number): LiveEvent {
  const before = e.data[SAMPLE_RATE_KEY];
  const rate = typeof before === "number" && Number.isFinite(before) && before > 0 ? before * weight : weight;
  // Not `{ ...e.data, sampleRate }`: V8 (node 20) takes a slow path adding a key to a spread
  // clone, ~20x the cost of Object.assign. Object.assign would *set* a "__proto__" key (JSON
  // input can have one) instead of copying it, so such data takes the spread.
  const data: Record<string, unknown> = Object.prototype.hasOwnProperty.call(e.data, "__proto__") ? { ...e.data } : Object.assign({}, e.data);
  data[SAMPLE_RATE_KEY] = rate;
  const copy = { ...e };
  copy.data = data;
  return copy;
}
