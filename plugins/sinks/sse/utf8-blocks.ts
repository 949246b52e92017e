import { utf8Text, writeUtf8 } from "../../../core/kit.js";
const BLOCK_BYTES = 128 * 1024;
/** Full blocks kept for reuse once nothing is in them; more are left to the GC. */
const MAX_SPARE = 4;

/**
 * Strings copied as UTF-8 into reused blocks outside the JS heap, for data kept long enough to
 * outlive the young generation (the replay ring's JSON). A string kept that long is copied by
 * scavenges and then fills the old generation, whose collector lets it grow to several times
 * the live size before it runs; bytes in a Buffer are neither copied nor traced. Blocks are
 * reference-counted by their holder (`release`) and reused, not left to the GC: a Buffer's
 * memory is only freed when the old generation is collected, so fresh blocks at the event
 * rate piled up as external memory instead.
 *
 * A block is filled front to back; a string that could need more than a quarter block gets a
 * buffer of its own. Memory: the blocks holding added strings that were not released, plus at
 * most MAX_SPARE empty ones (128 KiB each).
 */
export class Utf8Blocks {
  /** Where the last `add` put its string (read them before the next `add`). */
  lastIndex = -1;
  lastOffset = 0;
  private readonly blocks: (Buffer | undefined)[] = [];
  /** Strings in each block not yet released. */
  private readonly refs: number[] = [];
  private readonly spare: number[] = [];
  /** Indices with no block, for the next one. */
  private readonly vacant: number[] = [];
  private current = -1;
  private used = BLOCK_BYTES;

  /**
   * Copies `s` into block `lastIndex` at `lastOffset` and returns its exact UTF-8 length (so the
   * caller needs no Buffer.byteLength). Fields rather than a returned object: nothing allocated
   * per call.
   */
  add(s: string): number {
    // A UTF-16 code unit is at most 3 UTF-8 bytes: room for 3 per unit always fits.
    const worst = s.length * 3;
    if (worst > BLOCK_BYTES / 4) {
      const own = Buffer.from(s, "utf8");
      this.lastIndex = this.place(own);
      this.lastOffset = 0;
      this.refs[this.lastIndex] = 1;
      return own.length;
    }
    if (BLOCK_BYTES - this.used < worst) this.startBlock();
    const bytes = writeUtf8(this.blocks[this.current]!, s, this.used, BLOCK_BYTES - this.used);
    this.lastIndex = this.current;
    this.lastOffset = this.used;
    this.refs[this.current]++;
    this.used += bytes;
    return bytes;
  }

  /** The bytes of a string `add` placed in block `index`. */
  text(index: number, offset: number, bytes: number): string {
    return utf8Text(this.blocks[index]!, offset, offset + bytes);
  }

  /** Copies the bytes of a string `add` placed in block `index` to `target` at `at`. */
  copy(index: number, offset: number, bytes: number, target: Buffer, at: number): void {
    this.blocks[index]!.copy(target, at, offset, offset + bytes);
  }

  /** The holder no longer needs one string of block `index`. */
  release(index: number): void {
    if (--this.refs[index] > 0 || index === this.current) return;
    const block = this.blocks[index]!;
    if (block.length === BLOCK_BYTES && this.spare.length < MAX_SPARE) this.spare.push(index);
    else {
      this.blocks[index] = undefined;
      this.vacant.push(index);
    }
  }

  private startBlock(): void {
    const old = this.current;
    this.current = this.spare.pop() ?? this.place(Buffer.allocUnsafeSlow(BLOCK_BYTES));
    this.refs[this.current] = 0;
    this.used = 0;
    // The block just left may hold nothing any more (all released while it was current).
    if (old >= 0 && this.refs[old] === 0) {
      this.refs[old] = 1;
      this.release(old);
    }
  }

  private place(block: Buffer): number {
    const index = this.vacant.pop() ?? this.blocks.length;
    this.blocks[index] = block;
    return index;
  }
}
