import type { FileHandle } from "node:fs/promises";
import { dirname, join } from "node:path";
import type { Logger } from "../../../core/index.js";
import type { Fingerprinter } from "./fingerprinter.js";
import { fingerprint } from "./identity.js";
import type { LineReader } from "./lines.js";
import type { FileOptions } from "./options.js";
import type { Recognizer, Restored } from "./recognizer.js";
import { findByKey, GlobScanner, type Found } from "./scanner.js";
import { positionOf, type FileTable, type Tracked, type Warnings } from "./tracked.js";
import { DirWatcher } from "./watcher.js";

/** A file-system notification wakes the source this soon (ms): notifications of one burst share a cycle. */
const HINT_DELAY_MS = 10;

/** What discovery needs from the file server that runs it. */
export interface DiscoveryHost {
  /** Unsubscribed: nothing new may be opened. */
  stopped(): boolean;
  /** Unsubscribed or draining: no new work. */
  halted(): boolean;
  /** Runs a cycle `delayMs` from now (or sooner). */
  wake(delayMs: number): void;
  /** The line reader of a new file, wired to the server's emitter. */
  readerFor(f: Tracked): LineReader;
  /** A file is tracked from now on, from where its reader starts. */
  follow(f: Tracked): void;
}

/**
 * Finds the files to tail (Vector's file server, the part before reading): scans the globs,
 * follows renames, notices files gone, starts new files where they belong (Recognizer), and
 * keeps inotify watches on the directories where files can appear (DirWatcher).
 */
export class Discovery {
  private readonly scanner: GlobScanner;
  private readonly watcher: DirWatcher;
  /** A notification asked for a scan before its interval. */
  scanDue = true;
  /** Until the first scan is done, readFrom applies and the checkpoint is not overwritten. */
  firstScan = true;

  constructor(
    private readonly o: FileOptions,
    cwd: string,
    private readonly files: FileTable,
    private readonly fingerprinter: Fingerprinter,
    private readonly recognizer: Recognizer,
    private readonly log: Logger,
    private readonly warnings: Warnings,
    private readonly host: DiscoveryHost,
  ) {
    this.scanner = new GlobScanner(o.include, o.exclude, cwd);
    this.watcher = new DirWatcher((dir, event, name) => this.hint(dir, event, name), log);
  }

  close(): void {
    this.watcher.close();
  }

  /** One glob scan; true when files were added (their start positions are worth saving at once). */
  async scan(now: number): Promise<boolean> {
    const found = await this.scanner.scan((path, err) => this.warnings.once(path, err, "cannot scan"));
    if (this.host.halted()) return false;
    let added = false;
    for (const hit of found.values()) {
      const f = this.files.get(hit.key);
      if (f) {
        if (f.path !== hit.path) {
          this.log.debug({ from: f.path, to: hit.path }, "file renamed: following it");
          this.files.rename(f, hit.path);
        }
        if (f.lostAt !== undefined) f.lostAt = undefined;
        if (!f.fh && hit.size !== f.reader.readPos) f.dirty = true;
        continue;
      }
      if (await this.add(hit, now, true)) added = true;
      if (this.host.halted()) return false;
    }
    for (const f of this.files.list()) {
      if (f.lostAt === undefined && !found.has(f.key)) {
        f.lostAt = now;
        this.log.debug({ path: f.path }, "file renamed out of the globs or deleted: reading it to its end");
      }
    }
    if (this.firstScan) {
      this.firstScan = false;
      await this.resumeRenamedWhileStopped(now);
      // Saved even when empty: after a crash, files are then new ones (from 0), not readFrom "end" again.
      added = true;
    }
    this.updateWatches();
    return added;
  }

  /** Starts tailing a file found by a scan; false when it could not (no room, unreadable). */
  private async add(hit: Found, now: number, matched: boolean, known?: Restored): Promise<boolean> {
    let fh: FileHandle | undefined;
    try {
      fh = await this.files.open(hit.path);
    } catch (err) {
      this.warnings.once(hit.path, err as NodeJS.ErrnoException, "cannot open");
      return false;
    }
    if (!fh) return false;
    try {
      const st = await fh.stat({ bigint: true });
      const key = `${st.dev}:${st.ino}`;
      // Replaced between the scan and the open: take what is there now, unless already tracked.
      if (this.host.stopped() || this.files.has(key) || !st.isFile()) {
        await this.files.close(fh);
        return false;
      }
      const size = Number(st.size);
      const head = await this.fingerprinter.readHead(fh, size);
      const start = known ? { offset: known.offset, tail: known.tail, from: "checkpoint" } : await this.recognizer.startFor({ key, fh, head, size }, this.positions(), this.firstScan);
      if (known) this.recognizer.claim(known);
      if (this.host.stopped()) {
        await this.files.close(fh);
        return false;
      }
      const f = { key, dev: st.dev.toString(), ino: st.ino.toString(), path: hit.path, fh, fp: fingerprint(head), fpLen: head.length } as Tracked;
      f.lostAt = matched ? undefined : now;
      f.lastDataAt = now;
      f.size = size;
      f.dirty = true;
      f.reader = this.host.readerFor(f);
      f.reader.reset(start.offset, start.tail);
      if ("skip" in start && start.skip) f.reader.skipToNewline = true;
      this.files.add(f);
      this.host.follow(f);
      this.log.debug({ path: f.path, offset: start.offset, from: start.from }, "tailing file");
      return true;
    } catch (err) {
      await this.files.close(fh);
      this.warnings.once(hit.path, err as NodeJS.ErrnoException, "cannot read");
      return false;
    }
  }

  /**
   * Checkpointed files not found by the first scan were renamed out of the globs (or deleted)
   * while we were stopped: look for them, by inode, in the directory they were in, and read
   * what they still have past the checkpoint.
   */
  private async resumeRenamedWhileStopped(now: number): Promise<void> {
    for (const [dir, wanted] of this.recognizer.unclaimedByDir((key) => this.files.has(key))) {
      const hits = await findByKey(dir, new Set(wanted.keys()));
      for (const hit of hits.values()) {
        if (this.host.stopped() || this.files.has(hit.key)) continue;
        const e = wanted.get(hit.key)!;
        let fh: FileHandle | undefined;
        try {
          fh = await this.files.look(hit.path);
          const same = await this.recognizer.still(e, fh, hit.size);
          await this.files.close(fh, false);
          if (!same) continue;
        } catch {
          if (fh) await this.files.close(fh, false);
          continue;
        }
        if (await this.add(hit, now, false, e)) this.log.info({ path: hit.path, was: e.path, offset: e.offset }, "file rotated while stopped: reading the rest of it");
      }
    }
  }

  private *positions() {
    for (const f of this.files.list()) yield positionOf(f);
  }

  private updateWatches(): void {
    if (this.host.halted()) return;
    const wanted = new Set(this.scanner.directories());
    for (const f of this.files.list()) if (f.lostAt === undefined) wanted.add(dirname(f.path));
    this.watcher.update(wanted);
  }

  private hint(dir: string, event: string, name: string | null): void {
    if (this.host.halted()) return;
    if (name === null) this.scanDue = true;
    else {
      const path = join(dir, name);
      const f = this.files.atPath(path);
      if (f && event === "change") f.dirty = true;
      else if (f || this.scanner.matches(path)) this.scanDue = true;
      else return;
    }
    this.host.wake(HINT_DELAY_MS);
  }
}
