import { watch, type FSWatcher } from "node:fs";
import { access, open, type FileHandle } from "node:fs/promises";
import { dirname, join } from "node:path";
import type { SchedulerLike, Subscriber, Subscription } from "rxjs";
import { lineToEvent, type CheckpointStore, type Counter, type Gauge, type LiveEventInput, type Logger } from "../../../core/index.js";
import { CHECKPOINT_KEY, CHECKPOINT_VERSION, fingerprint, fromSaved, toSaved, type Position, type SavedCheckpoint, type SavedPosition } from "./identity.js";
import { LINE_PLAIN, LINE_SPLIT, LINE_TRUNCATED, LineReader, TAIL_BYTES, type LineFlag } from "./lines.js";
import type { FileOptions } from "./options.js";
import { findByKey, GlobScanner, type Found } from "./scanner.js";

/** One read: big enough for throughput, reused for every file (reads are one at a time). */
const READ_BYTES = 256 * 1024;
/** Bytes read from one file per cycle before the others get their turn. */
const READ_BUDGET = 4 * 1024 * 1024;
/** A file-system notification wakes the source this soon (ms): notifications of one burst share a cycle. */
const HINT_DELAY_MS = 10;
/** Directories watched at most; the rest rely on polling. */
const MAX_WATCHED_DIRS = 256;
/** Truncated files remembered, to recognise their copies (copytruncate), and for how long. */
const MAX_ORPHANS = 64;
const ORPHAN_TTL_MS = 5 * 60_000;
/** Paths warned about, remembered so a broken file warns once, not every cycle. */
const MAX_WARNED = 1000;

export interface TailerMetrics {
  lines: Counter;
  truncatedLines: Counter;
  checkpointErrors: Counter;
  files: Gauge;
}

export interface TailerDeps {
  opts: FileOptions;
  log: Logger;
  clock: SchedulerLike;
  store: CheckpointStore;
  metrics: TailerMetrics;
  cwd: string;
}

interface Tracked {
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
  /** Where it started: nothing before this was handed over by us, so it is safe to save at once. */
  origin: SavedPosition;
}

type Restored = Position & { claimed?: boolean };

/**
 * The tailing engine of one subscription: finds files (GlobScanner), follows them by identity,
 * reads new bytes into lines and events, and saves positions. One timer drives everything:
 * a cycle scans when the glob interval is due, polls every file every pollIntervalMs (only the
 * notified ones in between), and takes a checkpoint snapshot every checkpointIntervalMs.
 */
export class Tailer {
  private readonly o: FileOptions;
  private readonly files = new Map<string, Tracked>();
  private readonly byPath = new Map<string, Tracked>();
  private readonly scanner: GlobScanner;
  private readonly buf = Buffer.allocUnsafe(READ_BYTES);
  private readonly head: Buffer;
  private restored: Restored[] = [];
  private hadCheckpoint = false;
  private firstScan = true;
  private orphans: (Position & { at: number })[] = [];
  private timer: Subscription | undefined;
  private timerAt = Number.POSITIVE_INFINITY;
  private running: Promise<void> | undefined;
  private again = false;
  private more = false;
  private scanDue = true;
  private nextScanAt = 0;
  private nextFullAt = 0;
  private nextCheckpointAt = 0;
  /** The snapshot of the previous checkpoint tick: saved at the next one, so it is at least an interval old. */
  private previous: SavedCheckpoint | undefined;
  /** The newest snapshot taken at least an interval ago: what may be saved. */
  private safe: SavedCheckpoint | undefined;
  private lastSaved = "";
  private saving: Promise<void> | undefined;
  private queued: SavedCheckpoint | undefined;
  private stopped = false;
  private draining = false;
  private lastSave: Promise<void> | undefined;
  private readonly watchers = new Map<string, FSWatcher>();
  private readonly unwatchable = new Set<string>();
  private openCount = 0;
  private readonly warned = new Set<string>();

  constructor(
    private readonly d: TailerDeps,
    private readonly sub: Subscriber<LiveEventInput>,
  ) {
    this.o = d.opts;
    this.scanner = new GlobScanner(d.opts.include, d.opts.exclude, d.cwd);
    this.head = Buffer.allocUnsafe(d.opts.fingerprintBytes);
  }

  start(): void {
    this.running = this.init()
      .catch((err: unknown) => this.d.log.error({ err: errText(err) }, "file source failed to start"))
      .finally(() => this.afterCycle());
  }

  /** Unsubscribed (or completed): stop timers and watchers, close files once the current cycle is over. */
  close(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.cancelTimer();
    this.unwatchAll();
    this.d.metrics.files.set(this.d.metrics.files.value - this.files.size);
    void (this.running ?? Promise.resolve()).then(() => this.closeFiles());
  }

  /**
   * Graceful stop: read every file to its current end, emit unfinished lines, complete. The
   * positions are saved once the process is about to exit (every sink has flushed by then), or
   * checkpointIntervalMs later, whichever comes first: never before the sinks had their chance.
   */
  drain(): void {
    if (this.stopped || this.draining) return;
    this.draining = true;
    this.cancelTimer();
    this.unwatchAll();
    void (async () => {
      await this.running;
      try {
        await this.finalPass();
      } catch (err) {
        this.d.log.error({ err: errText(err) }, "reading the files to their end at stop failed");
      }
      const last = this.snapshot();
      this.sub.complete();
      // Stopped before the first scan finished: what we know is less than the old checkpoint.
      if (!this.firstScan) this.saveAtExit(last);
    })();
  }

  /** Resolves when no cycle runs and no checkpoint write is in flight, and after a drain once its last checkpoint is written (tests, benchmarks). */
  async settled(): Promise<void> {
    while (this.running) await this.running;
    await this.lastSave;
    while (this.saving) await this.saving;
  }

  // ---- the cycle ---------------------------------------------------------------------------

  private async init(): Promise<void> {
    const { store, log } = this.d;
    try {
      const raw = await store.read(CHECKPOINT_KEY);
      if (raw === undefined) {
        if (await exists(store.dir)) log.warn({ dir: store.dir }, `no checkpoint in ${store.dir}: files found now start at readFrom "${this.o.readFrom}"`);
        else log.debug(`no checkpoint yet: files found now start at readFrom "${this.o.readFrom}"`);
      } else {
        const positions = fromSaved(raw);
        if (typeof positions === "string") {
          this.d.metrics.checkpointErrors.inc();
          log.warn({ dir: store.dir }, `checkpoint in ${store.dir} is not usable (${positions}): files found now start at readFrom "${this.o.readFrom}"`);
        } else {
          this.restored = positions;
          this.hadCheckpoint = true;
        }
      }
    } catch (err) {
      this.d.metrics.checkpointErrors.inc();
      log.warn({ dir: store.dir }, `${errText(err)}: files found now start at readFrom "${this.o.readFrom}"`);
    }
    await this.cycle();
  }

  private schedule(delay: number): void {
    if (this.stopped || this.draining) return;
    const at = this.d.clock.now() + delay;
    if (this.timer && this.timerAt <= at) return;
    this.timer?.unsubscribe();
    this.timerAt = at;
    this.timer = this.d.clock.schedule(() => {
      this.timer = undefined;
      this.timerAt = Number.POSITIVE_INFINITY;
      this.run();
    }, Math.max(0, delay));
  }

  private cancelTimer(): void {
    this.timer?.unsubscribe();
    this.timer = undefined;
    this.timerAt = Number.POSITIVE_INFINITY;
  }

  private run(): void {
    if (this.stopped || this.draining) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.cycle()
      .catch((err: unknown) => this.d.log.error({ err: errText(err) }, "file source cycle failed"))
      .finally(() => this.afterCycle());
  }

  private afterCycle(): void {
    this.running = undefined;
    if (this.stopped || this.draining) return;
    const now = this.d.clock.now();
    const due = Math.min(this.nextFullAt, this.nextScanAt, this.nextCheckpointAt) - now;
    this.schedule(this.again || this.more || this.scanDue ? 0 : Math.max(0, due));
    this.again = false;
  }

  private async cycle(): Promise<void> {
    if (this.stopped) return;
    const now = this.d.clock.now();
    if (this.scanDue || now >= this.nextScanAt) {
      this.scanDue = false;
      this.nextScanAt = now + this.o.globIntervalMs;
      await this.scan(now);
      if (this.stopped || this.draining) return;
    }
    const full = now >= this.nextFullAt;
    if (full) this.nextFullAt = now + this.o.pollIntervalMs;
    this.more = false;
    for (const f of Array.from(this.files.values())) {
      if (this.stopped || this.draining) return;
      if (full || f.dirty) await this.poll(f, now);
    }
    if (now >= this.nextCheckpointAt) {
      this.nextCheckpointAt = now + this.o.checkpointIntervalMs;
      const snap = this.snapshot();
      if (this.previous) {
        this.safe = this.previous;
        this.save(this.saveable());
      }
      this.previous = snap;
    }
    if (this.orphans.length > 0) this.orphans = this.orphans.filter((o) => now - o.at < ORPHAN_TTL_MS);
  }

  // ---- finding files -----------------------------------------------------------------------

  private async scan(now: number): Promise<void> {
    const found = await this.scanner.scan((path, err) => this.warnOnce(path, err, "cannot scan"));
    if (this.stopped || this.draining) return;
    let added = false;
    for (const hit of found.values()) {
      const f = this.files.get(hit.key);
      if (f) {
        if (f.path !== hit.path) {
          this.d.log.debug({ from: f.path, to: hit.path }, "file renamed: following it");
          this.setPath(f, hit.path);
        }
        if (f.lostAt !== undefined) f.lostAt = undefined;
        if (!f.fh && hit.size !== f.reader.readPos) f.dirty = true;
        continue;
      }
      if (await this.add(hit, now, true)) added = true;
      if (this.stopped || this.draining) return;
    }
    for (const f of this.files.values()) {
      if (f.lostAt === undefined && !found.has(f.key)) {
        f.lostAt = now;
        this.d.log.debug({ path: f.path }, "file renamed out of the globs or deleted: reading it to its end");
      }
    }
    if (this.firstScan) {
      this.firstScan = false;
      await this.resumeRenamedWhileStopped(now);
      this.nextCheckpointAt = now + this.o.checkpointIntervalMs;
      // Saved even when empty: after a crash, files are then new ones (from 0), not readFrom "end" again.
      added = true;
    }
    // A new file is saved at once where it starts (nothing of it handed over yet): if it is
    // renamed away while we are down, the next run still finds it by its inode.
    if (added) this.save(this.saveable());
    this.updateWatches();
  }

  /** Starts tailing a file found by a scan; false when it could not (no room, unreadable). */
  private async add(hit: Found, now: number, matched: boolean, known?: Restored): Promise<boolean> {
    if (this.openCount >= this.o.maxOpenFiles && !(await this.evictOne())) return false;
    let fh: FileHandle;
    try {
      fh = await open(hit.path, "r");
    } catch (err) {
      this.warnOnce(hit.path, err as NodeJS.ErrnoException, "cannot open");
      return false;
    }
    this.openCount++;
    try {
      const st = await fh.stat({ bigint: true });
      const key = `${st.dev}:${st.ino}`;
      // Replaced between the scan and the open: take what is there now, unless already tracked.
      if (this.stopped || this.files.has(key) || !st.isFile()) {
        await this.closeHandle(fh);
        return false;
      }
      const size = Number(st.size);
      const head = await this.readHead(fh, size);
      const f: Tracked = {
        key,
        dev: st.dev.toString(),
        ino: st.ino.toString(),
        path: hit.path,
        fh,
        reader: undefined as unknown as LineReader,
        fp: fingerprint(head),
        fpLen: head.length,
        lostAt: matched ? undefined : now,
        lastDataAt: now,
        size,
        dirty: true,
        origin: undefined as unknown as SavedPosition,
      };
      f.reader = new LineReader({ maxLineBytes: this.o.maxLineBytes, longLines: this.o.longLines, utf8: this.o.encoding === "utf8" }, (b, off, flag) =>
        this.emit(f, b, off, flag),
      );
      const start = known ? { offset: known.offset, tail: known.tail, from: "checkpoint" } : await this.startFor(f, fh, head, size);
      if (known) known.claimed = true;
      if (this.stopped) {
        await this.closeHandle(fh);
        return false;
      }
      f.reader.reset(start.offset, start.tail);
      if (start.skip) f.reader.skipToNewline = true;
      f.origin = toSaved(this.position(f));
      this.files.set(key, f);
      this.byPath.set(f.path, f);
      this.d.metrics.files.set(this.d.metrics.files.value + 1);
      this.d.log.debug({ path: f.path, offset: start.offset, from: start.from }, "tailing file");
      return true;
    } catch (err) {
      await this.closeHandle(fh);
      this.warnOnce(hit.path, err as NodeJS.ErrnoException, "cannot read");
      return false;
    }
  }

  /**
   * Where a newly found file starts: where a checkpoint left it (same inode and content), or
   * where a copy's original was (copytruncate, a move to another disk), or readFrom at the
   * first start without checkpoint, else at 0: a file that appears while we run is new.
   */
  private async startFor(f: Tracked, fh: FileHandle, head: Buffer, size: number): Promise<{ offset: number; tail?: Buffer; skip?: boolean; from: string }> {
    const h = headHashes(head);
    for (const e of this.restored) {
      if (e.claimed || `${e.dev}:${e.ino}` !== f.key) continue;
      if (e.offset === 0 && e.fp === "") {
        e.claimed = true;
        return { offset: 0, from: "checkpoint" };
      }
      if (await this.holds(e, fh, h, size)) {
        e.claimed = true;
        return { offset: e.offset, tail: e.tail, from: "checkpoint" };
      }
    }
    for (const e of this.restored) if (await this.holds(e, fh, h, size)) return { offset: e.offset, tail: e.tail, from: `copy of ${e.path} (checkpoint)` };
    for (const e of this.orphans) if (await this.holds(e, fh, h, size)) return { offset: e.offset, tail: e.tail, from: `copy of truncated ${e.path}` };
    for (const other of Array.from(this.files.values())) {
      if (other === f) continue;
      const p = this.position(other);
      if (await this.holds(p, fh, h, size)) return { offset: p.offset, tail: p.tail, from: `copy of ${other.path}` };
    }
    if (this.firstScan && !this.hadCheckpoint) {
      if (this.o.readFrom === "beginning" || size === 0) return { offset: 0, from: "readFrom" };
      const last = await this.readAt(fh, size - 1, 1);
      return { offset: size, skip: last[0] !== 0x0a, from: "readFrom" };
    }
    return { offset: 0, from: "new file" };
  }

  /** Whether this file (`h`: hashes of its first bytes) has the content `known` describes up to its offset. */
  private async holds(known: Position, fh: FileHandle, h: HeadHashes, size: number): Promise<boolean> {
    if (known.offset === 0 || size < known.offset || known.fpLen === 0 || h.length < known.fpLen) return false;
    if (h.of(known.fpLen) !== known.fp) return false;
    const tail = await this.readAt(fh, known.offset - known.tail.length, known.tail.length);
    return tail.equals(known.tail);
  }

  /**
   * Checkpointed files not found by the first scan were renamed out of the globs (or deleted)
   * while we were stopped: look for them, by inode, in the directory they were in, and read
   * what they still have past the checkpoint.
   */
  private async resumeRenamedWhileStopped(now: number): Promise<void> {
    const byDir = new Map<string, Map<string, Restored>>();
    for (const e of this.restored) {
      const key = `${e.dev}:${e.ino}`;
      if (e.claimed || this.files.has(key)) continue;
      const dir = dirname(e.path);
      if (!byDir.has(dir)) byDir.set(dir, new Map());
      byDir.get(dir)!.set(key, e);
    }
    for (const [dir, wanted] of byDir) {
      const hits = await findByKey(dir, new Set(wanted.keys()));
      for (const hit of hits.values()) {
        if (this.stopped || this.files.has(hit.key)) continue;
        const e = wanted.get(hit.key)!;
        let fh: FileHandle | undefined;
        try {
          fh = await open(hit.path, "r");
          const head = await this.readHead(fh, hit.size);
          // From 0 nothing can be skipped wrongly: the inode is enough.
          const same = e.offset === 0 || (await this.holds(e, fh, headHashes(head), hit.size));
          await this.closeHandle(fh, false);
          if (!same) continue;
        } catch {
          if (fh) await this.closeHandle(fh, false);
          continue;
        }
        if (await this.add(hit, now, false, e)) this.d.log.info({ path: hit.path, was: e.path, offset: e.offset }, "file rotated while stopped: reading the rest of it");
      }
    }
  }

  // ---- reading -----------------------------------------------------------------------------

  private async poll(f: Tracked, now: number, final = false): Promise<void> {
    const dirty = f.dirty;
    f.dirty = false;
    if (!f.fh) {
      if (f.lostAt !== undefined) return this.release(f, "gone while closed");
      if (!dirty) return;
      if (!(await this.reopen(f, now))) return;
    }
    const fh = f.fh!;
    try {
      const size = (await fh.stat()).size;
      if (size < f.reader.readPos) this.truncated(f, now, "shrank");
      else if (size > f.reader.readPos && !(await this.refreshFingerprint(f, fh, size))) this.truncated(f, now, "was rewritten");
      if (size > f.reader.readPos) {
        if (f.fpLen < this.o.fingerprintBytes && f.fpLen < size) await this.refreshFingerprint(f, fh, size);
        let budget = final ? Number.POSITIVE_INFINITY : READ_BUDGET;
        while (budget > 0) {
          const want = final ? Math.min(READ_BYTES, size - f.reader.readPos) : READ_BYTES;
          if (want <= 0) break;
          const { bytesRead } = await fh.read(this.buf, 0, want, f.reader.readPos);
          if (this.stopped || (this.draining && !final)) return;
          if (bytesRead === 0) break;
          f.reader.push(this.buf.subarray(0, bytesRead));
          budget -= bytesRead;
          f.lastDataAt = now;
        }
        if (budget <= 0) {
          // More to read: the next cycle comes at once and polls this file even if not a full one.
          this.more = true;
          f.dirty = true;
        }
      }
      f.size = Math.max(size, f.reader.readPos);
    } catch (err) {
      this.warnOnce(f.path, err as NodeJS.ErrnoException, "cannot read");
      f.fh = undefined;
      await this.closeHandle(fh);
      return;
    }
    if (final) return;
    if (f.reader.hasPartial && now - f.lastDataAt >= this.o.lineTimeoutMs) f.reader.flushPartial();
    if (f.lostAt !== undefined && f.size <= f.reader.readPos && now - Math.max(f.lastDataAt, f.lostAt) >= this.o.rotateWaitMs) {
      await this.release(f, "read to its end");
    }
  }

  /**
   * Checks that the file still starts with the bytes it was fingerprinted on (false: it was
   * truncated and written again between two looks) and extends a short fingerprint.
   */
  private async refreshFingerprint(f: Tracked, fh: FileHandle, size: number): Promise<boolean> {
    const head = await this.readHead(fh, size);
    if (f.fpLen > 0 && (head.length < f.fpLen || fingerprint(head.subarray(0, f.fpLen)) !== f.fp)) return false;
    if (head.length > f.fpLen) {
      f.fp = fingerprint(head);
      f.fpLen = head.length;
    }
    return true;
  }

  /** Truncated in place (copytruncate, `> file`): remember where it was, for its copy, and start over. */
  private truncated(f: Tracked, now: number, how: string): void {
    const was = this.position(f);
    if (was.offset > 0) {
      this.orphans.push({ ...was, at: now });
      if (this.orphans.length > MAX_ORPHANS) this.orphans.shift();
    }
    this.d.log.info({ path: f.path, offset: was.offset }, `file ${how}: reading it again from the start`);
    f.reader.flushPartial();
    f.reader.reset(0);
    f.fp = "";
    f.fpLen = 0;
  }

  /** Opens a file closed for lack of room again; false when it is not the same file any more. */
  private async reopen(f: Tracked, now: number): Promise<boolean> {
    if (this.openCount >= this.o.maxOpenFiles && !(await this.evictOne(f))) {
      f.dirty = true;
      return false;
    }
    let fh: FileHandle;
    try {
      fh = await open(f.path, "r");
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      if (e.code === "ENOENT") f.lostAt ??= now;
      else this.warnOnce(f.path, e, "cannot open");
      return false;
    }
    this.openCount++;
    try {
      const st = await fh.stat({ bigint: true });
      if (`${st.dev}:${st.ino}` !== f.key) {
        await this.closeHandle(fh);
        return false;
      }
      const size = Number(st.size);
      const head = await this.readHead(fh, size);
      f.fh = fh;
      // The inode may have been freed and reused while the file was closed.
      const p = this.position(f);
      if (p.offset > 0 && !(await this.holds(p, fh, headHashes(head), size))) {
        this.d.log.info({ path: f.path }, "file replaced by a new one with the same inode: reading it from the start");
        f.reader.reset(0);
        f.fp = fingerprint(head);
        f.fpLen = head.length;
        f.origin = toSaved(this.position(f));
      }
      return true;
    } catch (err) {
      f.fh = undefined;
      await this.closeHandle(fh);
      this.warnOnce(f.path, err as NodeJS.ErrnoException, "cannot read");
      return false;
    }
  }

  /** Closes the open file idle longest (at its end, nothing held) to make room; false when none can go. */
  private async evictOne(except?: Tracked): Promise<boolean> {
    let victim: Tracked | undefined;
    for (const f of this.files.values()) {
      if (f === except || !f.fh || f.lostAt !== undefined || f.reader.hasPartial || f.size > f.reader.readPos) continue;
      if (!victim || f.lastDataAt < victim.lastDataAt) victim = f;
    }
    if (!victim) return false;
    const fh = victim.fh!;
    victim.fh = undefined;
    await this.closeHandle(fh);
    return true;
  }

  private async release(f: Tracked, why: string): Promise<void> {
    f.reader.flushPartial();
    this.files.delete(f.key);
    if (this.byPath.get(f.path) === f) this.byPath.delete(f.path);
    this.d.metrics.files.set(this.d.metrics.files.value - 1);
    this.d.log.debug({ path: f.path, why }, "file released");
    if (f.fh) {
      const fh = f.fh;
      f.fh = undefined;
      await this.closeHandle(fh);
    }
  }

  /** At drain: every open file to the size it has now, then every unfinished line. */
  private async finalPass(): Promise<void> {
    const now = this.d.clock.now();
    for (const f of Array.from(this.files.values())) if (f.fh) await this.poll(f, now, true);
    for (const f of this.files.values()) f.reader.flushPartial();
  }

  private emit(f: Tracked, bytes: Buffer, offset: number, flag: LineFlag): void {
    let line = bytes.toString(this.o.encoding);
    if (offset === 0 && line.charCodeAt(0) === 0xfeff) line = line.slice(1);
    if (isBlank(line)) return;
    let extra: Record<string, unknown>;
    if (flag === LINE_TRUNCATED) {
      this.d.metrics.truncatedLines.inc();
      extra = { path: f.path, offset, truncated: true };
    } else if (flag === LINE_SPLIT) {
      this.d.metrics.truncatedLines.inc();
      extra = { path: f.path, offset, split: true };
    } else extra = { path: f.path, offset };
    this.d.metrics.lines.inc();
    // A cut JSON line is not a record any more: keep it as text.
    this.sub.next(flag === LINE_PLAIN ? lineToEvent(line, { defaultType: this.o.eventType, extra }) : { type: this.o.eventType, data: { message: line, ...extra } });
  }

  // ---- positions and checkpoints -----------------------------------------------------------

  private position(f: Tracked): Position {
    return { path: f.path, dev: f.dev, ino: f.ino, fp: f.fp, fpLen: f.fpLen, offset: f.reader.lineStart, tail: f.reader.tail };
  }

  private snapshot(): SavedCheckpoint {
    return { version: CHECKPOINT_VERSION, files: [...this.files.values()].map((f) => toSaved(this.position(f))) };
  }

  /**
   * What may be saved now: the newest snapshot whose lines were handed over at least an
   * interval ago, plus the files found since, where they started.
   */
  private saveable(): SavedCheckpoint {
    const files = this.safe ? [...this.safe.files] : [];
    const known = new Set(files.map((p) => `${p.dev}:${p.ino}`));
    for (const f of this.files.values()) if (!known.has(f.key)) files.push(f.origin);
    return { version: CHECKPOINT_VERSION, files };
  }

  /** Writes a checkpoint (one write at a time; the newest waiting one goes next), unless it is what was written last. */
  private save(cp: SavedCheckpoint): void {
    if (this.saving) {
      this.queued = cp;
      return;
    }
    const json = JSON.stringify(cp);
    if (json === this.lastSaved) return;
    this.saving = this.d.store
      .write(CHECKPOINT_KEY, cp)
      .then(
        () => {
          this.lastSaved = json;
        },
        (err: unknown) => {
          this.d.metrics.checkpointErrors.inc();
          this.d.log.warn({ err: errText(err), dir: this.d.store.dir }, "cannot write the checkpoint");
        },
      )
      .finally(() => {
        this.saving = undefined;
        const next = this.queued;
        this.queued = undefined;
        if (next) this.save(next);
      });
  }

  /**
   * The last checkpoint of a drain, holding every line handed over. Written when the process
   * is about to exit on its own (`beforeExit`: every sink finished), or checkpointIntervalMs
   * from now when it lives on (embedded use, tests). A forced exit writes nothing: the earlier
   * checkpoint stays, and lines are read again rather than lost.
   */
  private saveAtExit(cp: SavedCheckpoint): void {
    let timer: NodeJS.Timeout | undefined = undefined;
    this.lastSave = new Promise<void>((resolve) => {
      const write = (): void => {
        process.off("beforeExit", write);
        if (timer) clearTimeout(timer);
        this.save(cp);
        resolve();
      };
      process.once("beforeExit", write);
      // A real timer, unref'd: it must never be what keeps the process alive.
      timer = setTimeout(write, this.o.checkpointIntervalMs);
      timer.unref();
    });
  }

  // ---- watching ----------------------------------------------------------------------------

  private updateWatches(): void {
    if (this.stopped || this.draining) return;
    const wanted = new Set(this.scanner.directories());
    for (const f of this.files.values()) if (f.lostAt === undefined) wanted.add(dirname(f.path));
    for (const [dir, w] of this.watchers) {
      if (!wanted.has(dir)) {
        w.close();
        this.watchers.delete(dir);
      }
    }
    for (const dir of wanted) {
      if (this.watchers.size >= MAX_WATCHED_DIRS) break;
      if (this.watchers.has(dir) || this.unwatchable.has(dir)) continue;
      try {
        const w = watch(dir, { persistent: false }, (event, name) => this.hint(dir, event, name));
        w.on("error", () => {
          w.close();
          this.watchers.delete(dir);
          this.unwatchable.add(dir);
        });
        this.watchers.set(dir, w);
      } catch (err) {
        // Not there yet: try again at the next scan. Anything else (no inotify): poll only.
        if ((err as NodeJS.ErrnoException).code !== "ENOENT") {
          this.unwatchable.add(dir);
          this.d.log.debug({ dir, err: errText(err) }, "cannot watch the directory: polling only");
        }
      }
    }
  }

  private unwatchAll(): void {
    for (const w of this.watchers.values()) w.close();
    this.watchers.clear();
  }

  private hint(dir: string, event: string, name: string | Buffer | null): void {
    if (this.stopped || this.draining) return;
    if (name === null) this.scanDue = true;
    else {
      const path = join(dir, name.toString());
      const f = this.byPath.get(path);
      if (f && event === "change") f.dirty = true;
      else if (f || this.scanner.matches(path)) this.scanDue = true;
      else return;
    }
    this.schedule(HINT_DELAY_MS);
  }

  // ---- helpers -----------------------------------------------------------------------------

  private setPath(f: Tracked, path: string): void {
    if (this.byPath.get(f.path) === f) this.byPath.delete(f.path);
    f.path = path;
    this.byPath.set(path, f);
  }

  private async readHead(fh: FileHandle, size: number): Promise<Buffer> {
    const want = Math.min(size, this.o.fingerprintBytes);
    if (want <= 0) return Buffer.alloc(0);
    const { bytesRead } = await fh.read(this.head, 0, want, 0);
    return Buffer.from(this.head.subarray(0, bytesRead));
  }

  private async readAt(fh: FileHandle, pos: number, len: number): Promise<Buffer> {
    if (len <= 0 || pos < 0) return Buffer.alloc(0);
    const out = Buffer.alloc(Math.min(len, TAIL_BYTES * 4));
    const { bytesRead } = await fh.read(out, 0, out.length, pos);
    return out.subarray(0, bytesRead);
  }

  private async closeHandle(fh: FileHandle, counted = true): Promise<void> {
    if (counted) this.openCount--;
    await fh.close().catch(() => undefined);
  }

  private async closeFiles(): Promise<void> {
    for (const f of this.files.values()) {
      if (!f.fh) continue;
      const fh = f.fh;
      f.fh = undefined;
      await this.closeHandle(fh);
    }
  }

  private warnOnce(path: string, err: NodeJS.ErrnoException, what: string): void {
    const key = `${err.code ?? "?"} ${path}`;
    if (this.warned.has(key)) return;
    if (this.warned.size >= MAX_WARNED) this.warned.clear();
    this.warned.add(key);
    this.d.log.warn({ path, code: err.code }, `${what} ${path}: ${err.message}`);
  }
}

interface HeadHashes {
  length: number;
  of(len: number): string;
}

/** Hashes of a file's first bytes by length, each computed once: many known positions are compared against one new file. */
function headHashes(head: Buffer): HeadHashes {
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

function isBlank(line: string): boolean {
  if (line.length === 0) return true;
  if (line.charCodeAt(0) > 32 && line.charCodeAt(line.length - 1) > 32) return false;
  return line.trim() === "";
}

function errText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}
