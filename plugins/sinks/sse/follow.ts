/**
 * Following (CONTRACT 9 `follow=FIELD`, Stalwart's span stickiness): once an event passes a
 * client's filters, later events with the same value of FIELD pass too, for `followMs` after
 * the last such event, at most `maxFollowed` values per client (least recently seen
 * forgotten). The one implementation behind both the per-client `follow=` of livetap's own
 * wire format and the compat mode's default following of `spanId`.
 */
import type { LiveEvent } from "../../../core/index.js";
import { fieldReader } from "../../../core/kit.js";

export interface FollowSpec {
  /** The field reference (CONTRACT 6) whose values are followed. */
  field: string;
  /** Values remembered per client (sink option `maxFollowed`). */
  maxFollowed: number;
  /** How long a value stays followed after its last event (sink option `followSeconds`, in ms). */
  followMs: number;
}

/**
 * The values a client follows, each until `ttlMs` after the last event that carried it.
 * A Map used as an LRU (re-inserted on use, so the first entry is the least recently seen) of
 * at most `maxValues` entries; time is whatever clock the caller passes (the sink's SCHEDULER),
 * so tests drive it with a TestScheduler. Memory: `maxValues` keys of at most 256 characters.
 */
export class FollowedValues {
  private readonly lastSeen = new Map<string, number>();

  constructor(
    private readonly maxValues: number,
    private readonly ttlMs: number,
  ) {}

  get size(): number {
    return this.lastSeen.size;
  }

  /** Starts following `value`, or refreshes it, at `now`. */
  follow(value: string, now: number): void {
    this.lastSeen.delete(value);
    if (this.lastSeen.size >= this.maxValues) this.lastSeen.delete(this.lastSeen.keys().next().value!);
    this.lastSeen.set(value, now);
  }

  /** Whether `value` is followed at `now`; when it is, this event refreshes it. */
  has(value: string, now: number): boolean {
    const at = this.lastSeen.get(value);
    if (at === undefined) return false;
    if (now - at > this.ttlMs) {
      this.lastSeen.delete(value);
      return false;
    }
    this.follow(value, now);
    return true;
  }
}

/** Values longer than this are not followed: bounds each entry of the set. */
const MAX_FOLLOWED_CHARS = 256;

/** A field value as a followed key: strings, numbers and booleans as text; anything else is not followed. */
export function followKey(value: unknown): string | undefined {
  switch (typeof value) {
    case "string":
      return value.length > 0 && value.length <= MAX_FOLLOWED_CHARS ? value : undefined;
    case "number":
    case "boolean":
      return String(value);
    default:
      return undefined;
  }
}

/**
 * `matches` plus following: an event passes when `matches` does (its value of the field is
 * then followed) or when that value is followed. The returned predicate keeps state: one per
 * client.
 */
export function following(matches: (event: LiveEvent) => boolean, spec: FollowSpec, now: () => number): (event: LiveEvent) => boolean {
  const read = fieldReader(spec.field);
  const followed = new FollowedValues(spec.maxFollowed, spec.followMs);
  return (e) => {
    const key = followKey(read(e));
    if (matches(e)) {
      if (key !== undefined) followed.follow(key, now());
      return true;
    }
    return key !== undefined && followed.has(key, now());
  };
}
