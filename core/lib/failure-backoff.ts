/**
 * Per-address brake on repeated authentication failures (password guessing): the first
 * `freeFailures` failures cost nothing, each one after blocks the address for `baseMs`,
 * doubling up to `maxMs`. An address that stays quiet for `forgetMs`, or succeeds, starts
 * afresh. At most `maxAddresses` are tracked: past it the least recently failing one is
 * forgotten, so a flood of addresses costs bounded memory (and at worst frees one of them).
 */
export interface FailureBackoffOptions {
  freeFailures: number;
  baseMs: number;
  maxMs: number;
  forgetMs: number;
  maxAddresses: number;
}

export const DEFAULT_FAILURE_BACKOFF: FailureBackoffOptions = {
  freeFailures: 5,
  baseMs: 1_000,
  maxMs: 60_000,
  forgetMs: 15 * 60_000,
  maxAddresses: 10_000,
};

interface Entry {
  failures: number;
  lastAt: number;
  blockedUntil: number;
}

export class FailureBackoff {
  // Insertion-ordered: re-inserted on each failure, so the first key is the stalest.
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly now: () => number,
    private readonly opts: FailureBackoffOptions = DEFAULT_FAILURE_BACKOFF,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  /** Milliseconds `address` must wait before it is heard again; 0 when it may try now. */
  retryAfterMs(address: string): number {
    const e = this.current(address);
    return e ? Math.max(0, e.blockedUntil - this.now()) : 0;
  }

  /** Counts a failure; returns how many in a row this address has now. */
  failed(address: string): number {
    const now = this.now();
    const e = this.current(address) ?? { failures: 0, lastAt: now, blockedUntil: 0 };
    e.failures++;
    e.lastAt = now;
    const over = e.failures - this.opts.freeFailures;
    if (over > 0) e.blockedUntil = now + Math.min(this.opts.maxMs, this.opts.baseMs * 2 ** Math.min(over - 1, 30));
    this.entries.delete(address);
    if (this.entries.size >= this.opts.maxAddresses) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(address, e);
    return e.failures;
  }

  succeeded(address: string): void {
    this.entries.delete(address);
  }

  private current(address: string): Entry | undefined {
    const e = this.entries.get(address);
    if (e && this.now() - e.lastAt >= this.opts.forgetMs) {
      this.entries.delete(address);
      return undefined;
    }
    return e;
  }
}
