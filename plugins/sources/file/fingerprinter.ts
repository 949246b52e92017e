import type { FileHandle } from "node:fs/promises";
import { fingerprint, type Position } from "./identity.js";
import { TAIL_BYTES } from "./lines.js";

/** Hashes of a file's first bytes by length, each computed once: many known positions are compared against one new file. */
export interface HeadHashes {
  length: number;
  of(len: number): string;
}

export function headHashes(head: Buffer): HeadHashes {
  const memo = new Map<number, string>();
  return {
    length: head.length,
    of(len) {
      let h = memo.get(len);
      if (h === undefined) memo.set(len, (h = fingerprint(head.subarray(0, len))));
      return h;
    },
  };
}

/** What a fingerprint is kept on: the hash of the first `fpLen` bytes of a file. */
export interface Fingerprinted {
  fp: string;
  fpLen: number;
}

/**
 * Reads what recognises a file (Vector's fingerprinter): its first `fingerprintBytes`, and the
 * bytes just before a known position. One head buffer, reused: reads are one at a time.
 */
export class Fingerprinter {
  private readonly head: Buffer;

  constructor(private readonly fingerprintBytes: number) {
    this.head = Buffer.allocUnsafe(fingerprintBytes);
  }

  /** The first min(size, fingerprintBytes) bytes (a copy). */
  async readHead(fh: FileHandle, size: number): Promise<Buffer> {
    const want = Math.min(size, this.fingerprintBytes);
    if (want <= 0) return Buffer.alloc(0);
    const { bytesRead } = await fh.read(this.head, 0, want, 0);
    return Buffer.from(this.head.subarray(0, bytesRead));
  }

  /** Up to `len` bytes at `pos` (at most a few tails' worth). */
  async readAt(fh: FileHandle, pos: number, len: number): Promise<Buffer> {
    if (len <= 0 || pos < 0) return Buffer.alloc(0);
    const out = Buffer.alloc(Math.min(len, TAIL_BYTES * 4));
    const { bytesRead } = await fh.read(out, 0, out.length, pos);
    return out.subarray(0, bytesRead);
  }

  /** Whether this file (`h`: hashes of its first bytes) has the content `known` describes up to its offset. */
  async holds(known: Position, fh: FileHandle, h: HeadHashes, size: number): Promise<boolean> {
    if (known.offset === 0 || size < known.offset || known.fpLen === 0 || h.length < known.fpLen) return false;
    if (h.of(known.fpLen) !== known.fp) return false;
    const tail = await this.readAt(fh, known.offset - known.tail.length, known.tail.length);
    return tail.equals(known.tail);
  }

  /**
   * Checks that the file still starts with the bytes `f` was fingerprinted on (false: it was
   * truncated and written again between two looks) and extends a short fingerprint.
   */
  async refresh(f: Fingerprinted, fh: FileHandle, size: number): Promise<boolean> {
    const head = await this.readHead(fh, size);
    if (f.fpLen > 0 && (head.length < f.fpLen || fingerprint(head.subarray(0, f.fpLen)) !== f.fp)) return false;
    if (head.length > f.fpLen) {
      f.fp = fingerprint(head);
      f.fpLen = head.length;
    }
    return true;
  }
}
