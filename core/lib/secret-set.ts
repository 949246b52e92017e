import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";

/**
 * A set of secrets (bearer tokens) checked in constant time: candidates and members are
 * compared as HMAC-SHA256 digests under a random per-instance key, so digests have equal length
 * whatever the input, and every member is compared (no early exit): the time tells neither a
 * token, its length, nor which one (or whether any) matched.
 */
export class SecretSet {
  private readonly key = randomBytes(32);
  private readonly digests: Buffer[];

  constructor(secrets: readonly string[]) {
    this.digests = secrets.map((s) => this.digest(s));
  }

  get size(): number {
    return this.digests.length;
  }

  has(candidate: string): boolean {
    return this.indexOf(candidate) >= 0;
  }

  /** Position of the member equal to `candidate` (the last one if repeated), -1 when none; every member is compared. */
  indexOf(candidate: string): number {
    const given = this.digest(candidate);
    let found = -1;
    for (let i = 0; i < this.digests.length; i++) if (timingSafeEqual(given, this.digests[i])) found = i;
    return found;
  }

  private digest(s: string): Buffer {
    return createHmac("sha256", this.key).update(s).digest();
  }
}
