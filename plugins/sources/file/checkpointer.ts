import { access } from "node:fs/promises";
import type { CheckpointStore, Counter, Logger } from "../../../core/index.js";
import { CheckpointRetryLater } from "../../../core/kit.js";
import { CHECKPOINT_KEY, fromSaved, type Position, type SavedCheckpoint } from "./identity.js";

/**
 * Reads and writes the source's positions (Vector's checkpointer): one JSON value under
 * `dataDir`, written one at a time (the newest waiting value goes next, the ones in between
 * are skipped) and not at all when it equals what was written last.
 */
export class Checkpointer {
  private lastSaved = "";
  private saving: Promise<void> | undefined;
  private queued: SavedCheckpoint | undefined;

  constructor(
    private readonly store: CheckpointStore,
    private readonly log: Logger,
    private readonly errors: Counter,
  ) {}

  /**
   * The positions saved by an earlier run, or undefined when there are none (or none usable:
   * warned about and counted). `startsAt` says where files start instead, for the warning.
   */
  async restore(startsAt: string): Promise<Position[] | undefined> {
    const { store, log } = this;
    try {
      const raw = await store.read(CHECKPOINT_KEY);
      if (raw === undefined) {
        if (await exists(store.dir)) log.warn({ dir: store.dir }, `no checkpoint in ${store.dir}: files found now start at ${startsAt}`);
        else log.debug(`no checkpoint yet: files found now start at ${startsAt}`);
        return undefined;
      }
      const positions = fromSaved(raw);
      if (typeof positions !== "string") return positions;
      this.errors.inc();
      log.warn({ dir: store.dir }, `checkpoint in ${store.dir} is not usable (${positions}): files found now start at ${startsAt}`);
    } catch (err) {
      this.errors.inc();
      log.warn({ dir: store.dir }, `${errText(err)}: files found now start at ${startsAt}`);
    }
    return undefined;
  }

  /** Writes `cp` (one write at a time; the newest waiting one goes next), unless it is what was written last. */
  save(cp: SavedCheckpoint): void {
    if (this.saving) {
      this.queued = cp;
      return;
    }
    const json = JSON.stringify(cp);
    if (json === this.lastSaved) return;
    this.saving = this.store
      .write(CHECKPOINT_KEY, cp)
      .then(
        () => {
          this.lastSaved = json;
        },
        (err: unknown) => {
          this.errors.inc();
          // Refused while the store backs off: the failure that started it was warned about.
          if (!(err instanceof CheckpointRetryLater)) this.log.warn({ err: errText(err), dir: this.store.dir }, "cannot write the checkpoint");
        },
      )
      .finally(() => {
        this.saving = undefined;
        const next = this.queued;
        this.queued = undefined;
        if (next) this.save(next);
      });
  }

  /** Resolves when no write is in flight or waiting. */
  async settled(): Promise<void> {
    while (this.saving) await this.saving;
  }
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
