import { defer, filter, finalize, type MonoTypeOperatorFunction, type SchedulerLike } from "rxjs";
import type { LiveEvent } from "../../../core/index.js";
import { fieldReader } from "../../../core/kit.js";
import type { ThrottleOptions } from "./options.js";

/** One key's budget: tokens left at `at` (ms on the scheduler clock). */
interface Bucket {
  tokens: number;
  at: number;
}

/** What a throttle reports: each dropped event, and the number of keys it tracks whenever that changes. */
export interface ThrottleHooks {
  dropped?: (event: LiveEvent) => void;
  keys?: (tracked: number) => void;
}

/** Float slack: virtual clocks give windows like 333.33 ms whose refills sum to 0.9999… tokens. */
const EPSILON = 1e-9;

/**
 * At most `threshold` events per `windowSeconds` per `key`: a token bucket per key holding up
 * to `threshold` tokens, refilled continuously at threshold/window, one token per event; the
 * excess is dropped (`hooks.dropped` is called once per event). Time comes only from `clock`.
 * Buckets live per subscription in a Map used as an LRU (re-inserted on use, the first entry
 * is the least recently seen) of at most `maxKeys` entries.
 */
export function throttleEvents(o: ThrottleOptions, clock: SchedulerLike, hooks: ThrottleHooks = {}): MonoTypeOperatorFunction<LiveEvent> {
  const dropped = hooks.dropped ?? (() => undefined);
  const tracked = hooks.keys;
  const capacity = o.threshold;
  const perMs = o.threshold / ((o.windowSeconds ?? 1) * 1000);
  const maxKeys = o.maxKeys ?? 10_000;
  const key = o.key === undefined ? undefined : fieldReader(o.key);

  /** Takes a token from `b` if it has one after refilling up to now. */
  const take = (b: Bucket, now: number): boolean => {
    if (now > b.at) {
      b.tokens = Math.min(capacity, b.tokens + (now - b.at) * perMs);
      b.at = now;
    }
    if (b.tokens >= 1 - EPSILON) {
      b.tokens -= 1;
      return true;
    }
    return false;
  };

  return (events) =>
    defer(() => {
      const buckets = new Map<string, Bucket>();
      const single: Bucket = { tokens: capacity, at: clock.now() };
      const bucketOf = (e: LiveEvent, now: number): Bucket => {
        const k = keyText(key!(e));
        let b = buckets.get(k);
        if (b === undefined) {
          if (buckets.size >= maxKeys) buckets.delete(buckets.keys().next().value!);
          b = { tokens: capacity, at: now };
          buckets.set(k, b);
          tracked?.(buckets.size);
        } else {
          // Re-inserted so the Map's order is least recently seen first.
          buckets.delete(k);
          buckets.set(k, b);
        }
        return b;
      };
      return events.pipe(
        filter((e) => {
          const now = clock.now();
          if (take(key === undefined ? single : bucketOf(e, now), now)) return true;
          dropped(e);
          return false;
        }),
        finalize(() => {
          buckets.clear();
          tracked?.(0);
        }),
      );
    });
}

/** A key value as text: strings as they are, absent as "" (one shared budget), objects as JSON. */
function keyText(value: unknown): string {
  if (typeof value === "string") return value;
  if (value === undefined || value === null) return "";
  if (typeof value === "object") {
    try {
      return JSON.stringify(value);
    } catch {
      return String(value);
    }
  }
  return String(value);
}
