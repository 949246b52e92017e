import type { Logger, SettleCallback, Settlement } from "../../../core/index.js";
import { CHECKPOINT_VERSION, toSaved, type Position, type SavedCheckpoint } from "./identity.js";

/** A place in one file: what a checkpoint keeps of it besides its identity. */
export type Mark = Pick<Position, "fp" | "fpLen" | "offset" | "tail">;

interface Step {
  /** Where the file is once this batch's lines are settled. */
  mark: Mark;
  settled: boolean;
}

interface FileProgress {
  path: string;
  dev: string;
  ino: string;
  /** The newest mark with every line before it settled: what a checkpoint saves. */
  committed: Mark;
  /** Batches handed over and not committed yet, oldest first. */
  steps: Step[];
  /** A sink failed lines of this file: the checkpoint stays before them until a restart. */
  stuck: boolean;
  /** No longer tailed (read to its end, gone): forgotten once nothing of it is unsettled. */
  released: boolean;
}

const OK: Settlement = { events: 0, failed: 0, lost: 0 };

/**
 * How far each file's lines are settled (CONTRACT 7): the checkpoint of a file advances only
 * over batches whose every line some sink confirmed (or an operator dropped), and in order: a
 * settled batch after an unsettled one waits for it. One step per read chunk, not per line.
 *
 * A batch that settles with failed lines stops its file's checkpoint there for the rest of
 * the run: the lines are read again after a restart, not in this process (a sink that failed
 * once would likely fail the re-read too, and re-reading would repeat every later line).
 * Lines settled as lost (an operator swallowed them past ackTimeoutMs) count as settled:
 * re-reading would only have them swallowed again.
 */
export class Progress {
  private readonly files = new Map<string, FileProgress>();

  constructor(private readonly log: Logger) {}

  /** Starts following a file (`key`: dev:ino) from `start`: nothing before it is ours to deliver. */
  follow(key: string, at: Pick<Position, "path" | "dev" | "ino">, start: Mark): void {
    // Found again after a sink failed its lines: the checkpoint must still not pass them.
    if (this.files.get(key)?.stuck) return;
    this.files.set(key, { path: at.path, dev: at.dev, ino: at.ino, committed: start, steps: [], stuck: false, released: false });
  }

  /**
   * A batch of `events` lines of `key` ends at `mark`: returns the callback that settles it
   * (for `Delivery.track`). Queued before tracking, since tracking may settle it at once.
   */
  handOver(key: string, mark: Mark, events: number): SettleCallback {
    const p = this.files.get(key);
    if (!p || p.stuck) return () => undefined;
    const last = p.steps.at(-1);
    if (events === 0 && (last === undefined || last.settled)) {
      // Nothing to wait for of its own (blank lines, a skipped tail, a truncation): it only
      // waits for the steps before it, so it replaces a settled last step: steps stay bounded
      // by the unsettled batches.
      if (last) last.mark = mark;
      else p.committed = mark;
      return () => undefined;
    }
    const step: Step = { mark, settled: false };
    p.steps.push(step);
    return (s) => this.settle(key, p, step, s);
  }

  /** The file moved without lines (truncated, replaced): the checkpoint follows once what came before settled. */
  moved(key: string, mark: Mark): void {
    this.handOver(key, mark, 0)(OK);
  }

  rename(key: string, path: string): void {
    const p = this.files.get(key);
    if (p) p.path = path;
  }

  release(key: string): void {
    const p = this.files.get(key);
    if (!p) return;
    p.released = true;
    if (p.steps.length === 0 && !p.stuck) this.files.delete(key);
  }

  /** Events handed over and not settled, over all files (tests). */
  get unsettledSteps(): number {
    let n = 0;
    for (const p of this.files.values()) n += p.steps.length;
    return n;
  }

  /** What a checkpoint saves now: every followed file at its committed mark. */
  snapshot(): SavedCheckpoint {
    const files = [];
    for (const p of this.files.values()) files.push(toSaved({ path: p.path, dev: p.dev, ino: p.ino, ...p.committed }));
    return { version: CHECKPOINT_VERSION, files };
  }

  private settle(key: string, p: FileProgress, step: Step, s: Settlement): void {
    if (p.stuck || step.settled) return;
    if (s.failed > 0) {
      p.stuck = true;
      p.steps = [];
      this.log.warn(
        { path: p.path, offset: p.committed.offset, failed: s.failed },
        `a sink failed ${s.failed} lines of ${p.path}: its checkpoint stays at offset ${p.committed.offset} for this run, so they are read again after a restart`,
      );
      return;
    }
    step.settled = true;
    let done = 0;
    while (done < p.steps.length && p.steps[done].settled) p.committed = p.steps[done++].mark;
    if (done > 0) p.steps.splice(0, done);
    if (p.released && p.steps.length === 0) this.files.delete(key);
  }
}
