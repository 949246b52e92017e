/**
 * Span following (CONTRACT 9 `follow=FIELD`, Stalwart's span stickiness): once an event passes
 * a client's filters, later events with the same value of FIELD pass too, for `followSeconds`
 * after the last such event, at most `maxFollowed` values per client (least recently seen
 * forgotten).
 *
 * Written for the compat mode (where following `spanId` is the default) and meant to be reused
 * by the non-compat `follow=` parameter: `followFilter(filter, field, opts, now)` wraps any
 * compiled filter; `FollowedValues` is the bounded per-client state on its own.
 */
import type { LiveEvent } from "../../../core/index.js";
import type { Matcher } from "../../../core/kit.js";

export interface FollowOptions {
  /** Values remembered per client (CONTRACT 9 `maxFollowed`, default 1000). */
  maxFollowed: number;
  /** Seconds a value stays followed after its last event (CONTRACT 9 `followSeconds`, default 300). */
  followSeconds: number;
}

export const FOLLOW_DEFAULTS: FollowOptions = { maxFollowed: 1000, followSeconds: 300 };

/**
 * A bounded set of followed values with a time to live: a Map in least-recently-seen order
 * (a touch re-inserts), so both the size bound and expiry evict from the front.
 * Memory: at most `maxFollowed` values.
 */
export class FollowedValues {
  private readonly lastSeen = new Map<string, number>();
  private readonly ttlMs: number;

  constructor(
    private readonly opts: FollowOptions,
    private readonly now: () => number,
  ) {
    this.ttlMs = opts.followSeconds * 1000;
  }

  get size(): number {
    return this.lastSeen.size;
  }

  /** Remembers (or refreshes) `value` as seen now. */
  add(value: string): void {
    this.lastSeen.delete(value);
    if (this.lastSeen.size >= this.opts.maxFollowed) this.lastSeen.delete(this.lastSeen.keys().next().value!);
    this.lastSeen.set(value, this.now());
  }

  /** True (and refreshed) when `value` is followed and its time has not run out. */
  touch(value: string): boolean {
    const seen = this.lastSeen.get(value);
    if (seen === undefined) return false;
    const now = this.now();
    if (now - seen > this.ttlMs) {
      this.lastSeen.delete(value);
      return false;
    }
    this.lastSeen.delete(value);
    this.lastSeen.set(value, now);
    return true;
  }
}

/**
 * Reads a field (CONTRACT 6): `type`, `text`, `id` are the event's own; `data.` reaches a data
 * key of those names; anything else is a path into `data`, dots descending into objects.
 * Only strings, numbers and booleans are followable values; anything else is absent.
 */
export function fieldReader(field: string): (event: LiveEvent) => string | undefined {
  if (field === "type" || field === "text" || field === "id") return (e) => scalarText(e[field]);
  const path = (field.startsWith("data.") ? field.slice(5) : field).split(".");
  if (path.length === 1) {
    const key = path[0];
    return (e) => (e.data != null && Object.prototype.hasOwnProperty.call(e.data, key) ? scalarText(e.data[key]) : undefined);
  }
  return (e) => {
    let v: unknown = e.data;
    for (const k of path) {
      if (typeof v !== "object" || v === null || !Object.prototype.hasOwnProperty.call(v, k)) return undefined;
      v = (v as Record<string, unknown>)[k];
    }
    return scalarText(v);
  };
}

function scalarText(v: unknown): string | undefined {
  if (typeof v === "string") return v === "" ? undefined : v;
  if (typeof v === "number" || typeof v === "boolean" || typeof v === "bigint") return String(v);
  return undefined;
}

/**
 * `filter` plus following on `field`: an event passes when the filter matches (its value of
 * `field` is then followed) or when that value is followed. The returned filter keeps state:
 * one per client. With a filter that matches everything, following changes nothing and the
 * filter is returned as is.
 */
export function followFilter(filter: Matcher, field: string, opts: FollowOptions, now: () => number): Matcher {
  if (filter.matchesAll) return filter;
  const read = fieldReader(field);
  const followed = new FollowedValues(opts, now);
  const inner = filter.predicate;
  return {
    ...filter,
    predicate: (e) => {
      const value = read(e);
      if (inner(e)) {
        if (value !== undefined) followed.add(value);
        return true;
      }
      return value !== undefined && followed.touch(value);
    },
  };
}
