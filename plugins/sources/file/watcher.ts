import { watch, type FSWatcher } from "node:fs";
import type { Logger } from "../../../core/index.js";

/** Directories watched at most; the rest rely on polling. */
export const MAX_WATCHED_DIRS = 256;

/** A notification: `name` is the entry that changed, null when the platform does not say. */
export type OnHint = (dir: string, event: string, name: string | null) => void;

/**
 * File-system notifications (inotify) for the directories the source cares about. They are
 * hints only: every file is polled anyway, a notification just makes the next look sooner.
 * A directory that cannot be watched (no inotify, too many watches) is left to polling, and
 * not tried again.
 */
export class DirWatcher {
  private readonly watchers = new Map<string, FSWatcher>();
  private readonly unwatchable = new Set<string>();

  constructor(
    private readonly onHint: OnHint,
    private readonly log: Logger,
    private readonly maxDirs = MAX_WATCHED_DIRS,
  ) {}

  /** The directories being watched now. */
  get watched(): string[] {
    return [...this.watchers.keys()];
  }

  /** Watches exactly `wanted` (up to maxDirs): new directories are watched, dropped ones closed. */
  update(wanted: ReadonlySet<string>): void {
    for (const [dir, w] of this.watchers) {
      if (!wanted.has(dir)) {
        w.close();
        this.watchers.delete(dir);
      }
    }
    for (const dir of wanted) {
      if (this.watchers.size >= this.maxDirs) break;
      if (this.watchers.has(dir) || this.unwatchable.has(dir)) continue;
      try {
        const w = watch(dir, { persistent: false }, (event, name) => this.onHint(dir, event, name === null ? null : name.toString()));
        w.on("error", () => {
          w.close();
          this.watchers.delete(dir);
          this.unwatchable.add(dir);
        });
        this.watchers.set(dir, w);
      } catch (err) {
        // Not there yet: try again at the next update. Anything else (no inotify): poll only.
        if ((err as NodeJS.ErrnoException).code !== "ENOENT") {
          this.unwatchable.add(dir);
          this.log.debug({ dir, err: err instanceof Error ? err.message : String(err) }, "cannot watch the directory: polling only");
        }
      }
    }
  }

  /** Closes every watcher; update() may start again. */
  close(): void {
    for (const w of this.watchers.values()) w.close();
    this.watchers.clear();
  }
}
