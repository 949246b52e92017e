/**
 * Span stickiness (CONTRACT 9 `follow=`, Stalwart's live tracing): the values of a field a client
 * follows, each until `ttlMs` after the last event that carried it.
 *
 * A Map used as an LRU (re-inserted on use, so the first entry is the least recently seen) of at
 * most `maxValues` entries; time is whatever clock the caller passes (the sink's SCHEDULER), so
 * tests drive it with a TestScheduler. Memory: `maxValues` keys of at most 256 characters each.
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
