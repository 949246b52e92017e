const FIRST_BLOCK = 16 * 1024;
const MAX_BLOCK = 256 * 1024;
const EMPTY = Buffer.alloc(0);

/**
 * Strings copied as UTF-8 into shared blocks outside the JS heap, for data kept long enough to
 * outlive the young generation (the replay ring's JSON): a string kept there is copied by every
 * scavenge and then fills the old generation, whose collector lets it grow to several times the
 * live size before it runs; bytes in a Buffer are neither copied nor traced.
 *
 * Append-only: a block is filled front to back and never reused; it is freed by the GC once no
 * span refers to it, so memory is what the holders of spans keep plus the unfilled end of
 * the current block. Blocks start at 16 KiB and double up to 256 KiB (a small ring stays small);
 * a string that could need more than a quarter block gets a buffer of its own.
 */
export class Utf8Blocks {
  /** Where the last `add` put its string (read them before the next `add`). */
  lastBlock: Buffer = EMPTY;
  lastOffset = 0;
  private block: Buffer = EMPTY;
  private used = 0;
  private nextSize = FIRST_BLOCK;

  /**
   * Copies `s` to `lastBlock` at `lastOffset` and returns its exact UTF-8 length (so the caller
   * needs no Buffer.byteLength). Fields rather than a returned object: nothing allocated per call.
   */
  add(s: string): number {
    // A UTF-16 code unit is at most 3 UTF-8 bytes: room for 3 per unit always fits.
    const worst = s.length * 3;
    if (worst > MAX_BLOCK / 4) {
      this.lastBlock = Buffer.from(s, "utf8");
      this.lastOffset = 0;
      return this.lastBlock.length;
    }
    if (this.block.length - this.used < worst) {
      this.block = Buffer.allocUnsafeSlow(this.nextSize);
      this.used = 0;
      this.nextSize = Math.min(MAX_BLOCK, this.nextSize * 2);
    }
    const bytes = this.block.write(s, this.used, "utf8");
    this.lastBlock = this.block;
    this.lastOffset = this.used;
    this.used += bytes;
    return bytes;
  }
}
