import type { FileHandle } from "node:fs/promises";
import type { SchedulerLike, Subscriber, Subscription } from "rxjs";
import type { CheckpointStore, Counter, Delivery, Gauge, LiveEventInput, Logger } from "../../../core/index.js";
import { Checkpointer } from "./checkpointer.js";
import { Discovery } from "./discovery.js";
import { Fingerprinter } from "./fingerprinter.js";
import { fingerprint } from "./identity.js";
import { lineEvent } from "./line-events.js";
import { LineReader, type LineFlag } from "./lines.js";
import type { FileOptions } from "./options.js";
import { Progress, type Mark } from "./progress.js";
import { Recognizer } from "./recognizer.js";
import { FileTable, positionOf, Warnings, type Tracked } from "./tracked.js";

/** One read: big enough for throughput, reused for every file (reads are one at a time). */
const READ_BYTES = 256 * 1024;
/** Bytes read from one file per cycle before the others get their turn. */
const READ_BUDGET = 4 * 1024 * 1024;

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
  delivery: Delivery;
  metrics: TailerMetrics;
  cwd: string;
}

/**
 * The file server of one subscription (Vector's `file_server`): finds files (Discovery),
 * reads new bytes into lines and events, one tracked batch per read chunk (DELIVERY), and
 * saves how far each file is settled (Progress, Checkpointer). One timer on SCHEDULER drives
 * everything: a cycle scans when the glob interval is due, polls every file every
 * pollIntervalMs (only the notified ones in between), and saves a checkpoint every
 * checkpointIntervalMs. At maxPendingEvents unsettled lines it stops reading until
 * `onCapacity`.
 */
export class Tailer {
  private readonly o: FileOptions;
  private readonly files: FileTable;
  private readonly discovery: Discovery;
  private readonly fingerprinter: Fingerprinter;
  private readonly recognizer: Recognizer;
  private readonly checkpointer: Checkpointer;
  private readonly progress: Progress;
  /** The events of the chunk being read: tracked and emitted as one batch. */
  private batch: LiveEventInput[] = [];
  /** Waiting for `onCapacity`: reading paused at maxPendingEvents. */
  private paused = false;
  private readonly buf = Buffer.allocUnsafe(READ_BYTES);
  private readonly warnings: Warnings;
  private timer: Subscription | undefined;
  private timerAt = Number.POSITIVE_INFINITY;
  private running: Promise<void> | undefined;
  /** Why the next cycle comes at once: a wake-up during a cycle, more to read, a scan asked for. */
  private again = false;
  private more = false;
  private nextScanAt = 0;
  private nextFullAt = 0;
  private nextCheckpointAt = 0;
  private stopped = false;
  private draining = false;

  constructor(
    private readonly d: TailerDeps,
    private readonly sub: Subscriber<LiveEventInput>,
  ) {
    this.o = d.opts;
    this.files = new FileTable(d.opts.maxOpenFiles, d.metrics.files);
    this.warnings = new Warnings(d.log);
    this.fingerprinter = new Fingerprinter(d.opts.fingerprintBytes);
    this.recognizer = new Recognizer(this.fingerprinter, d.opts.readFrom);
    const lineOptions = { maxLineBytes: d.opts.maxLineBytes, longLines: d.opts.longLines, utf8: d.opts.encoding === "utf8" };
    this.discovery = new Discovery(d.opts, d.cwd, this.files, this.fingerprinter, this.recognizer, d.log, this.warnings, {
      stopped: () => this.stopped,
      halted: () => this.halted,
      wake: (delay) => this.schedule(delay),
      readerFor: (f) => new LineReader(lineOptions, (b, off, flag) => this.emit(f, b, off, flag)),
      follow: (f) => this.progress.follow(f.key, f, markOf(f)),
    });
    this.checkpointer = new Checkpointer(d.store, d.log, d.metrics.checkpointErrors);
    this.progress = new Progress(d.log);
  }

  start(): void {
    this.running = this.init()
      .catch((err: unknown) => this.d.log.error({ err: errText(err) }, "file source failed to start"))
      .finally(() => this.afterCycle());
  }

  /** Unsubscribed (or completed): stop the timer and watchers, close files once the current cycle is over. */
  close(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.cancelTimer();
    this.discovery.close();
    this.files.forget();
    void (this.running ?? Promise.resolve()).then(() => this.files.closeAll());
  }

  /**
   * Graceful stop: read every file to its current end (up to maxPendingEvents), emit
   * unfinished lines, complete. The positions are saved by finish(), once the sinks are done.
   */
  drain(): void {
    if (this.stopped || this.draining) return;
    this.draining = true;
    this.cancelTimer();
    this.discovery.close();
    void (async () => {
      await this.running;
      try {
        await this.finalPass();
      } catch (err) {
        this.d.log.error({ err: errText(err) }, "reading the files to their end at stop failed");
      }
      this.sub.complete();
    })();
  }

  /**
   * After the run, once every sink has flushed and confirmed (core calls the source's stop()
   * then): saves what is settled. A forced exit never gets here: the earlier checkpoint stays,
   * and lines are read again rather than lost.
   */
  async finish(): Promise<void> {
    await this.running;
    // Stopped before the first scan finished: what we know is less than the old checkpoint.
    if (!this.discovery.firstScan) this.checkpointer.save(this.snapshot());
    await this.checkpointer.settled();
  }

  /** Resolves when no cycle runs and no checkpoint write is in flight (tests, benchmarks). */
  async settled(): Promise<void> {
    while (this.running) await this.running;
    await this.checkpointer.settled();
  }

  // ---- the cycle ---------------------------------------------------------------------------

  private async init(): Promise<void> {
    const restored = await this.checkpointer.restore(`readFrom "${this.o.readFrom}"`);
    if (restored) this.recognizer.restore(restored);
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
    this.schedule(this.again || this.more || this.discovery.scanDue ? 0 : Math.max(0, due));
    this.again = false;
  }

  private get halted(): boolean {
    return this.stopped || this.draining;
  }

  private async cycle(): Promise<void> {
    if (this.stopped) return;
    const now = this.d.clock.now();
    if (this.discovery.scanDue || now >= this.nextScanAt) {
      this.discovery.scanDue = false;
      this.nextScanAt = now + this.o.globIntervalMs;
      const first = this.discovery.firstScan;
      const added = await this.discovery.scan(now);
      if (this.halted) return;
      if (first) this.nextCheckpointAt = now + this.o.checkpointIntervalMs;
      // A new file is saved at once where it starts (nothing of it handed over yet): if it is
      // renamed away while we are down, the next run still finds it by its inode.
      if (added) this.checkpointer.save(this.snapshot());
    }
    const full = now >= this.nextFullAt;
    if (full) this.nextFullAt = now + this.o.pollIntervalMs;
    this.more = false;
    for (const f of this.files.list()) {
      if (this.halted) return;
      if (full || f.dirty) await this.poll(f, now);
    }
    if (now >= this.nextCheckpointAt) {
      this.nextCheckpointAt = now + this.o.checkpointIntervalMs;
      this.checkpointer.save(this.snapshot());
    }
    this.recognizer.expire(now);
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
      else if (size > f.reader.readPos && !(await this.fingerprinter.refresh(f, fh, size))) this.truncated(f, now, "was rewritten");
      if (size > f.reader.readPos) {
        if (f.fpLen < this.o.fingerprintBytes && f.fpLen < size) await this.fingerprinter.refresh(f, fh, size);
        let budget = final ? Number.POSITIVE_INFINITY : READ_BUDGET;
        while (budget > 0) {
          if (this.d.delivery.full) {
            this.pause(f);
            break;
          }
          const want = final ? Math.min(READ_BYTES, size - f.reader.readPos) : READ_BYTES;
          if (want <= 0) break;
          const { bytesRead } = await fh.read(this.buf, 0, want, f.reader.readPos);
          if (this.stopped || (this.draining && !final)) return;
          if (bytesRead === 0) break;
          // No more lines than there is room for: the rest of the chunk is read again later.
          const take = afterLines(this.buf, bytesRead, this.o.maxPendingEvents - this.d.delivery.pending);
          f.reader.push(this.buf.subarray(0, take));
          this.handOver(f);
          budget -= take;
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
      this.warnings.once(f.path, err as NodeJS.ErrnoException, "cannot read");
      await this.files.closeOf(f);
      return;
    }
    if (final) return;
    // Only a partial line at the end of what the file has: paused at the bound, its rest is still unread.
    if (f.reader.hasPartial && f.size <= f.reader.readPos && now - f.lastDataAt >= this.o.lineTimeoutMs) {
      f.reader.flushPartial();
      this.handOver(f);
    }
    if (f.lostAt !== undefined && f.size <= f.reader.readPos && now - Math.max(f.lastDataAt, f.lostAt) >= this.o.rotateWaitMs) {
      await this.release(f, "read to its end");
    }
  }

  /** Truncated in place (copytruncate, `> file`): remember where it was, for its copy, and start over. */
  private truncated(f: Tracked, now: number, how: string): void {
    const was = positionOf(f);
    this.recognizer.orphan(was, now);
    this.d.log.info({ path: f.path, offset: was.offset }, `file ${how}: reading it again from the start`);
    f.reader.flushPartial();
    this.handOver(f);
    f.reader.reset(0);
    f.fp = "";
    f.fpLen = 0;
    this.progress.moved(f.key, markOf(f));
  }

  /** Opens a file closed for lack of room again; false when it is not the same file any more. */
  private async reopen(f: Tracked, now: number): Promise<boolean> {
    let fh: FileHandle | undefined;
    try {
      fh = await this.files.open(f.path, f);
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      if (e.code === "ENOENT") f.lostAt ??= now;
      else this.warnings.once(f.path, e, "cannot open");
      return false;
    }
    if (!fh) {
      f.dirty = true;
      return false;
    }
    try {
      const st = await fh.stat({ bigint: true });
      if (`${st.dev}:${st.ino}` !== f.key) {
        await this.files.close(fh);
        return false;
      }
      const size = Number(st.size);
      f.fh = fh;
      // The inode may have been freed and reused while the file was closed.
      const p = positionOf(f);
      if (p.offset > 0 && !(await this.recognizer.still(p, fh, size))) {
        const head = await this.fingerprinter.readHead(fh, size);
        this.d.log.info({ path: f.path }, "file replaced by a new one with the same inode: reading it from the start");
        f.reader.reset(0);
        f.fp = fingerprint(head);
        f.fpLen = head.length;
        this.progress.moved(f.key, markOf(f));
      }
      return true;
    } catch (err) {
      f.fh = undefined;
      await this.files.close(fh);
      this.warnings.once(f.path, err as NodeJS.ErrnoException, "cannot read");
      return false;
    }
  }

  private async release(f: Tracked, why: string): Promise<void> {
    f.reader.flushPartial();
    this.handOver(f);
    this.progress.release(f.key);
    this.files.remove(f);
    this.d.log.debug({ path: f.path, why }, "file released");
    await this.files.closeOf(f);
  }

  /** At drain: every open file to the size it has now, then every unfinished line. */
  private async finalPass(): Promise<void> {
    const now = this.d.clock.now();
    for (const f of this.files.list()) if (f.fh) await this.poll(f, now, true);
    for (const f of this.files.list()) {
      f.reader.flushPartial();
      this.handOver(f);
    }
  }

  private emit(f: Tracked, bytes: Buffer, offset: number, flag: LineFlag): void {
    const event = lineEvent(this.o, this.d.metrics.truncatedLines, f.path, bytes, offset, flag);
    if (!event) return;
    this.d.metrics.lines.inc();
    this.batch.push(event);
  }

  /** The lines just read from `f` go out as one tracked batch, which settles up to where `f` is now. */
  private handOver(f: Tracked): void {
    const events = this.batch;
    this.batch = [];
    const settled = this.progress.handOver(f.key, markOf(f), events.length);
    if (events.length === 0) return settled({ events: 0, failed: 0, lost: 0 });
    for (const e of this.d.delivery.track(events, settled)) this.sub.next(e);
  }

  /** At maxPendingEvents: stop reading until the pipeline has room again; `f` is read first then. */
  private pause(f: Tracked): void {
    f.dirty = true;
    if (this.paused) return;
    this.paused = true;
    this.d.log.debug({ pending: this.d.delivery.pending }, "maxPendingEvents unsettled lines: reading paused");
    this.d.delivery.onCapacity(() => {
      this.paused = false;
      this.schedule(0);
    });
  }

  // ---- positions ---------------------------------------------------------------------------

  private snapshot() {
    // Paths as the globs last matched them (renames are followed by Discovery).
    for (const f of this.files.list()) this.progress.rename(f.key, f.path);
    return this.progress.snapshot();
  }
}

function errText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function markOf(f: Tracked): Mark {
  return { fp: f.fp, fpLen: f.fpLen, offset: f.reader.lineStart, tail: f.reader.tail };
}

/** Bytes of `buf[0, n)` up to and including its `lines`-th newline (all n when it has fewer, at least one line's worth). */
function afterLines(buf: Buffer, n: number, lines: number): number {
  if (lines >= n) return n;
  let end = 0;
  for (let i = 0; i < Math.max(1, lines); i++) {
    const nl = buf.indexOf(0x0a, end);
    if (nl === -1 || nl >= n) return n;
    end = nl + 1;
  }
  return end;
}
