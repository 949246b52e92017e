import { open, type FileHandle } from "node:fs/promises";
import type { Gauge, Logger } from "../../../core/index.js";
import type { Position } from "./identity.js";
import type { LineReader } from "./lines.js";

/** One file being tailed, known by its identity (`dev:ino`) whatever its name. */
export interface Tracked {
  key: string;
  dev: string;
  ino: string;
  path: string;
  fh: FileHandle | undefined;
  reader: LineReader;
  /** Hash of the first fpLen bytes. */
  fp: string;
  fpLen: number;
  /** Matched by the globs at the last scan; when not, `lostAt` says since when. */
  lostAt: number | undefined;
  /** Last time bytes were read (or the file was found). */
  lastDataAt: number;
  /** Size at the last look. */
  size: number;
  /** Poll it in the next cycle even when that is not a full one (notification, closed file changed). */
  dirty: boolean;
}

/** Where `f` is: the end of the last line handed over. */
export function positionOf(f: Tracked): Position {
  return { path: f.path, dev: f.dev, ino: f.ino, fp: f.fp, fpLen: f.fpLen, offset: f.reader.lineStart, tail: f.reader.tail };
}

/**
 * The tracked files by identity and by name, and the file descriptors they hold: at most
 * `maxOpenFiles`; beyond it the file idle longest (at its end, no unfinished line) is closed.
 */
export class FileTable {
  private readonly byKey = new Map<string, Tracked>();
  private readonly byPath = new Map<string, Tracked>();
  private openCount = 0;

  constructor(
    private readonly maxOpenFiles: number,
    private readonly gauge: Gauge,
  ) {}

  get size(): number {
    return this.byKey.size;
  }
  has(key: string): boolean {
    return this.byKey.has(key);
  }
  get(key: string): Tracked | undefined {
    return this.byKey.get(key);
  }
  atPath(path: string): Tracked | undefined {
    return this.byPath.get(path);
  }
  /** A copy: files may be added or released while the caller awaits. */
  list(): Tracked[] {
    return Array.from(this.byKey.values());
  }

  add(f: Tracked): void {
    this.byKey.set(f.key, f);
    this.byPath.set(f.path, f);
    this.gauge.set(this.gauge.value + 1);
  }

  remove(f: Tracked): void {
    if (!this.byKey.delete(f.key)) return;
    if (this.byPath.get(f.path) === f) this.byPath.delete(f.path);
    this.gauge.set(this.gauge.value - 1);
  }

  /** The source stops: its files no longer count in the gauge. */
  forget(): void {
    this.gauge.set(this.gauge.value - this.byKey.size);
  }

  rename(f: Tracked, path: string): void {
    if (this.byPath.get(f.path) === f) this.byPath.delete(f.path);
    f.path = path;
    this.byPath.set(path, f);
  }

  /** Opens `path` for reading, counted against maxOpenFiles; undefined when there is no room (nothing could be closed). */
  async open(path: string, except?: Tracked): Promise<FileHandle | undefined> {
    if (this.openCount >= this.maxOpenFiles && !(await this.evictOne(except))) return undefined;
    const fh = await open(path, "r");
    this.openCount++;
    return fh;
  }

  /** Opens `path` for a quick look, outside maxOpenFiles: close it with `close(fh, false)`. */
  look(path: string): Promise<FileHandle> {
    return open(path, "r");
  }

  /** Closes a handle; `counted` false for one from look(). */
  async close(fh: FileHandle, counted = true): Promise<void> {
    if (counted) this.openCount--;
    await fh.close().catch(() => undefined);
  }

  /** Closes the handle `f` holds, if any. */
  async closeOf(f: Tracked): Promise<void> {
    const fh = f.fh;
    if (!fh) return;
    f.fh = undefined;
    await this.close(fh);
  }

  async closeAll(): Promise<void> {
    for (const f of this.byKey.values()) await this.closeOf(f);
  }

  /** Closes the open file idle longest (at its end, nothing held) to make room; false when none can go. */
  private async evictOne(except?: Tracked): Promise<boolean> {
    let victim: Tracked | undefined;
    for (const f of this.byKey.values()) {
      if (f === except || !f.fh || f.lostAt !== undefined || f.reader.hasPartial || f.size > f.reader.readPos) continue;
      if (!victim || f.lastDataAt < victim.lastDataAt) victim = f;
    }
    if (!victim) return false;
    await this.closeOf(victim);
    return true;
  }
}

/** Paths warned about, remembered so a broken file warns once, not every cycle. */
const MAX_WARNED = 1000;

/** Warns once per path and error code. */
export class Warnings {
  private readonly warned = new Set<string>();
  constructor(private readonly log: Logger) {}

  once(path: string, err: NodeJS.ErrnoException, what: string): void {
    const key = `${err.code ?? "?"} ${path}`;
    if (this.warned.has(key)) return;
    if (this.warned.size >= MAX_WARNED) this.warned.clear();
    this.warned.add(key);
    this.log.warn({ path, code: err.code }, `${what} ${path}: ${err.message}`);
  }
}
