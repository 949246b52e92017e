import { dirname } from "node:path";
import type { FileHandle } from "node:fs/promises";
import { headHashes, type Fingerprinter } from "./fingerprinter.js";
import type { Position } from "./identity.js";

/** Truncated files remembered, to recognise their copies (copytruncate), and for how long. */
const MAX_ORPHANS = 64;
const ORPHAN_TTL_MS = 5 * 60_000;

export type Restored = Position & { claimed?: boolean };

/** Where a newly found file starts reading, and why (for the log). */
export interface Start {
  offset: number;
  tail?: Buffer;
  /** readFrom "end" in the middle of a line: skip to the next newline. */
  skip?: boolean;
  from: string;
}

/** A file just opened: its identity, its first bytes and its size. */
export interface Candidate {
  key: string;
  fh: FileHandle;
  head: Buffer;
  size: number;
}

/**
 * Decides where a newly found file starts (Vector's file server does this with its
 * fingerprints): where a checkpoint left it (same inode and content), or where a copy's
 * original was (copytruncate, a move to another disk), or readFrom at the first start
 * without checkpoint, else at 0: a file that appears while we run is new.
 */
export class Recognizer {
  private restored: Restored[] = [];
  private orphans: (Position & { at: number })[] = [];
  /** A checkpoint was restored: readFrom no longer applies. */
  private hadCheckpoint = false;

  constructor(
    private readonly fingerprinter: Fingerprinter,
    private readonly readFrom: "beginning" | "end",
  ) {}

  restore(positions: Position[]): void {
    this.restored = positions;
    this.hadCheckpoint = true;
  }

  /** A file truncated in place was at `was`: its copy, if one shows up, continues from there. */
  orphan(was: Position, now: number): void {
    if (was.offset === 0) return;
    this.orphans.push({ ...was, at: now });
    if (this.orphans.length > MAX_ORPHANS) this.orphans.shift();
  }

  expire(now: number): void {
    if (this.orphans.length > 0) this.orphans = this.orphans.filter((o) => now - o.at < ORPHAN_TTL_MS);
  }

  /** A file found through its checkpoint entry (renamed while stopped) takes that entry. */
  claim(e: Restored): void {
    e.claimed = true;
  }

  /** `others`: positions of the files tracked now (a copy made while we run); `firstStart`: the first scan of a run. */
  async startFor(c: Candidate, others: Iterable<Position>, firstStart: boolean): Promise<Start> {
    const h = headHashes(c.head);
    const fp = this.fingerprinter;
    for (const e of this.restored) {
      if (e.claimed || `${e.dev}:${e.ino}` !== c.key) continue;
      if (e.offset === 0 && e.fp === "") {
        e.claimed = true;
        return { offset: 0, from: "checkpoint" };
      }
      if (await fp.holds(e, c.fh, h, c.size)) {
        e.claimed = true;
        return { offset: e.offset, tail: e.tail, from: "checkpoint" };
      }
    }
    for (const e of this.restored) if (await fp.holds(e, c.fh, h, c.size)) return { offset: e.offset, tail: e.tail, from: `copy of ${e.path} (checkpoint)` };
    for (const e of this.orphans) if (await fp.holds(e, c.fh, h, c.size)) return { offset: e.offset, tail: e.tail, from: `copy of truncated ${e.path}` };
    for (const p of others) if (await fp.holds(p, c.fh, h, c.size)) return { offset: p.offset, tail: p.tail, from: `copy of ${p.path}` };
    if (firstStart && !this.hadCheckpoint) {
      if (this.readFrom === "beginning" || c.size === 0) return { offset: 0, from: "readFrom" };
      const last = await fp.readAt(c.fh, c.size - 1, 1);
      return { offset: c.size, skip: last[0] !== 0x0a, from: "readFrom" };
    }
    return { offset: 0, from: "new file" };
  }

  /** Whether the file still holds what checkpoint entry `e` describes (from 0 the inode is enough). */
  async still(e: Restored, fh: FileHandle, size: number): Promise<boolean> {
    if (e.offset === 0) return true;
    return this.fingerprinter.holds(e, fh, headHashes(await this.fingerprinter.readHead(fh, size)), size);
  }

  /** Checkpointed files no scan found (renamed out of the globs or deleted while we were stopped), by their old directory. */
  unclaimedByDir(tracked: (key: string) => boolean): Map<string, Map<string, Restored>> {
    const byDir = new Map<string, Map<string, Restored>>();
    for (const e of this.restored) {
      const key = `${e.dev}:${e.ino}`;
      if (e.claimed || tracked(key)) continue;
      const dir = dirname(e.path);
      if (!byDir.has(dir)) byDir.set(dir, new Map());
      byDir.get(dir)!.set(key, e);
    }
    return byDir;
  }
}
