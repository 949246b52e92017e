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
    const given = this.digest(candidate);
    let match = false;
    for (const d of this.digests) match = timingSafeEqual(given, d) || match;
    return match;
  }

  private digest(s: string): Buffer {
    return createHmac("sha256", this.key).update(s).digest();
  }
}
